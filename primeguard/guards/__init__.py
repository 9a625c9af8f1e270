"""Guard classifiers: the in-process MiniLM heads, served guards, and the guard server."""

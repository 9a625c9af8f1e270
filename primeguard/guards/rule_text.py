"""What the input rules share: a bounded slice of a long text, its sentences, a word check.

A request sits at the start or the end of a prompt (after a pasted document, or
before it), so a long text is read at its first and last `MAX_CHARS // 2`
characters: the rules' cost stays bounded whatever is pasted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Longer texts are read at their start and end.
MAX_CHARS = 4000
#: Sentences and lines.
SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def bounded(text: str) -> str:
    """`text`, or its first and last `MAX_CHARS // 2` characters on two lines."""
    if len(text) <= MAX_CHARS:
        return text
    half = MAX_CHARS // 2
    return text[:half] + "\n" + text[-half:]


def mentions(text: str, words: Iterable[str]) -> bool:
    """Whether any of `words` is in `text`, case folded (plain look-ups: ~1 us, where a
    rule's regexes cost tens of microseconds)."""
    lowered = text.lower()
    return any(word in lowered for word in words)


__all__ = ["MAX_CHARS", "SENTENCE", "bounded", "mentions"]

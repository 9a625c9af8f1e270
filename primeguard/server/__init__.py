"""HTTP: the starlette app, endpoints and middleware. starlette is imported only here."""

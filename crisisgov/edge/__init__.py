"""The surge edge: a small Starlette app for the hot citizen endpoints (see docs/edge.md)."""

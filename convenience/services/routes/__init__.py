"""The part's API routes, one module per section; convenience/services/router.py
composes them."""

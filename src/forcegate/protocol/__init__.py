"""The OAuth protocol core: requests, errors, scopes, PKCE and token shapes.

Pure Python: nothing here imports the web framework or SQLAlchemy (tests/test_layering.py checks).
"""

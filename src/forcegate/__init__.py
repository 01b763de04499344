"""forcegate: a self-hosted, Salesforce-compatible OAuth 2.0 / OpenID Connect server.

Layout, by capability:

- ``forcegate.protocol``  the OAuth core: requests, errors, PKCE, scopes, token shapes. No HTTP, no SQL.
- ``forcegate.storage``   SQLAlchemy tables, migrations and the small repository layer.
- ``forcegate.org``       the org's security model: users, profiles, connected apps, login history.
- ``forcegate.flows``     one module per OAuth flow, named as Salesforce names it.
- ``forcegate.web``       thin Starlette routes and the HTML pages.
- ``forcegate.cli``       the ``forcegate`` command.
"""

__version__ = "0.1.0"

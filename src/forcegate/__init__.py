"""forcegate: a self-hosted, Salesforce-compatible OAuth 2.0 / OpenID Connect server.

Layout, by capability:

- ``forcegate.protocol``  the OAuth core: requests, errors, PKCE, scopes, token shapes. No HTTP, no SQL.
- ``forcegate.storage``   SQLAlchemy tables, migrations and the small repository layer.
- ``forcegate.org``       the org's security model: users, profiles, permissions, connected apps, limits.
- ``forcegate.flows``     one module per OAuth flow, named as Salesforce names it, plus token management.
- ``forcegate.soql``      the SOQL grammar and its translation to SQLAlchemy.
- ``forcegate.data``      the data API's objects, fields, records and queries.
- ``forcegate.web``       thin Starlette routes and the HTML pages.
- ``forcegate.client``    the SDK: every flow from the client's side, token care and storage, REST.
- ``forcegate.cli``       the ``forcegate`` command: the client's commands, and (loaded on demand)
                          ``forcegate.admin_cli``'s server and administration commands.
"""

__version__ = "0.1.0"

"""One declaration per admin resource: the fields of each body the admin API and the CLI accept, with
their types, bounds, choices, defaults and help text, written once (``base`` says how). From them
come the admin API's validation and error messages, its OpenAPI document (``openapi``, served at
``/admin/api/v1/openapi.json``), the CLI's options, and the fields a Setup form would show
(``Declaration.fields()``). The org's services validate with them too, so the CLI and the API cannot
disagree; the services add only the rules that need the org (unique names, records that exist).

Modules: ``connected_app``, ``user``, ``permissions`` (profiles, permission sets, assignments),
``credentials`` (secret rotation, token revocation), ``org_settings``, ``schema`` (custom objects and
fields), ``signing_key``; ``views`` declares the answers' shapes.

Adding a setting to connected apps, for instance: declare the field on ``ConnectedAppSettings`` (type,
``Field`` with default, bounds and description, ``Says`` for messages other than the defaults,
``Flag`` for the CLI), add the column (domain dataclass, ``storage/schema.py`` and a migration) and
show it in ``org.connected_apps.app_view``. The admin API accepts it, the document shows it and
``forcegate apps create|update`` gain its option with nothing else to change.

Imports only the domain and the org's error classes: web, CLI and the services import this package."""

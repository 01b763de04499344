"""One declaration per admin resource: the fields of each body the admin API and the CLI accept, with
their types, bounds, choices, defaults and help text, written once. The admin API validates with them,
its OpenAPI document is generated from them and the CLI's options come from them (``base`` says how).

Imports only the domain and the org's errors: web, CLI and services import this package."""

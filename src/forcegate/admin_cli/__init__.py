"""The server side of the ``forcegate`` command: run the server and administer the org.

``forcegate.cli`` loads this package only when one of its commands runs, so the client commands
(login, query, ...) start without importing the server.

One module per resource (``apps``, ``audit_trail``, ``users``, ``profiles``, ``permission_sets``, ``org``,
``objects``, ``fields``, ``keys``, ``server_key``, ``housekeeping``, ``demo``, ``db``, ``tls``,
``serve``), each with its own command group; this module assembles them. Every command that opens
the org's database takes ``--database URL`` (declared once, in ``common``: default
``FORCEGATE_DATABASE_URL``, else the SQLite file that ``make serve`` uses) and prints JSON, so
scripts can read it.
"""

from __future__ import annotations

import click

from forcegate.admin_cli import (
    apps,
    audit_trail,
    db,
    demo,
    fields,
    housekeeping,
    keys,
    objects,
    org,
    permission_sets,
    profiles,
    serve,
    server_key,
    tls,
    users,
)
from forcegate.admin_cli.common import OrgCommands

__all__ = ["main"]


@click.group(cls=OrgCommands)
def main() -> None:
    """The server and administration commands (``forcegate.cli`` adds them to the root command)."""


for command in (
    serve.serve,
    demo.demo_group,
    db.db,
    apps.apps_group,
    org.org_group,
    permission_sets.permission_sets_group,
    profiles.profiles_group,
    users.users_group,
    users.login_history,
    audit_trail.audit_trail,
    housekeeping.housekeeping_group,
    server_key.server_key,
    keys.keys_group,
    tls.tls,
    objects.objects_group,
    fields.fields_group,
):
    main.add_command(command)

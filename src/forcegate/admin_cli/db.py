"""``forcegate db``: the database schema."""

from __future__ import annotations

import click

from forcegate.admin_cli.common import OrgCommands, org_transaction, print_json
from forcegate.config import default_database_url


@click.group(cls=OrgCommands)
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade(database: str | None) -> None:
    """Apply every pending migration and create the org if it is missing."""
    with org_transaction(database, create=True) as (_ctx, _conn, org_id):
        pass
    print_json({"database": database or default_database_url(), "org_id": org_id, "status": "up to date"})

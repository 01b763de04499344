"""``forcegate org``: the org's security settings."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import Connection

from forcegate.admin_cli.common import CLI_ACTOR, OrgCommands, org_transaction, print_json
from forcegate.admin_cli.declared import given, options
from forcegate.domain import Org
from forcegate.org import access
from forcegate.resources import org_settings as declared
from forcegate.storage import repositories as repo


@click.group("org", cls=OrgCommands)
def org_group() -> None:
    """The org's security settings."""


@org_group.command("show")
def org_show(database: str | None) -> None:
    """The org's settings."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json(access.org_view(_the_org(conn, org_id)))


SETTINGS = tuple(declared.UPDATE.model.model_fields)


@org_group.command("update")
@options(declared.UPDATE, "allow_username_password_flows", "allow_soap_login", "trusted_ip_ranges")
@click.option("--no-trusted-ip-ranges", is_flag=True, help="Remove every trusted IP range.")
@options(
    declared.UPDATE, "max_login_attempts", "lockout_minutes", "daily_api_requests", "admin_session_minutes"
)
def org_update(no_trusted_ip_ranges: bool, database: str | None, **values: Any) -> None:
    """Change the org's security settings."""
    changes = given(declared.UPDATE, values, *SETTINGS)
    if no_trusted_ip_ranges:
        changes["trusted_ip_ranges"] = []
    with org_transaction(database) as (ctx, conn, org_id):
        updated = access.update_org(ctx, conn, _the_org(conn, org_id), changes, actor=CLI_ACTOR())
        print_json(access.org_view(updated))


def _the_org(conn: Connection, org_id: str) -> Org:
    org = repo.org_by_id(conn, org_id)
    assert org is not None
    return org

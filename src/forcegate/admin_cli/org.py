"""``forcegate org``: the org's security settings."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import Connection

from forcegate.admin_cli.common import OrgCommands, org_transaction, print_json
from forcegate.domain import Org
from forcegate.org import access
from forcegate.storage import repositories as repo


@click.group("org", cls=OrgCommands)
def org_group() -> None:
    """The org's security settings."""


@org_group.command("show")
def org_show(database: str | None) -> None:
    """The org's settings."""
    with org_transaction(database) as (_ctx, conn, org_id):
        print_json(access.org_view(_the_org(conn, org_id)))


@org_group.command("update")
@click.option(
    "--allow-username-password-flows/--block-username-password-flows",
    default=None,
    help="The OAuth username-password flow (off by default, as Salesforce recommends).",
)
@click.option("--allow-soap-login/--block-soap-login", default=None, help="SOAP login() (off by default).")
@click.option(
    "--trusted-ip-range",
    "trusted_ip_ranges",
    multiple=True,
    metavar="CIDR",
    help="Replaces the trusted IP ranges; repeat for several.",
)
@click.option("--no-trusted-ip-ranges", is_flag=True, help="Remove every trusted IP range.")
@click.option("--max-login-attempts", type=int, help="Failed logins before lockout (0: no limit).")
@click.option("--lockout-minutes", type=int, help="Lockout length (0: until an admin unlocks).")
@click.option("--daily-api-requests", type=int, help="Data-API requests allowed per UTC day.")
def org_update(
    allow_username_password_flows: bool | None,
    allow_soap_login: bool | None,
    trusted_ip_ranges: tuple[str, ...],
    no_trusted_ip_ranges: bool,
    max_login_attempts: int | None,
    lockout_minutes: int | None,
    daily_api_requests: int | None,
    database: str | None,
) -> None:
    """Change the org's security settings."""
    given: dict[str, Any] = {
        "allow_username_password_flows": allow_username_password_flows,
        "allow_soap_login": allow_soap_login,
        "trusted_ip_ranges": [] if no_trusted_ip_ranges else (list(trusted_ip_ranges) or None),
        "max_login_attempts": max_login_attempts,
        "lockout_minutes": lockout_minutes,
        "daily_api_requests": daily_api_requests,
    }
    with org_transaction(database) as (_ctx, conn, org_id):
        updated = access.update_org(
            conn, _the_org(conn, org_id), {k: v for k, v in given.items() if v is not None}
        )
        print_json(access.org_view(updated))


def _the_org(conn: Connection, org_id: str) -> Org:
    org = repo.org_by_id(conn, org_id)
    assert org is not None
    return org

"""``forcegate demo``: the demo org of ``forcegate serve --demo``."""

from __future__ import annotations

import click

from forcegate.admin_cli.common import OrgCommands, org_transaction, print_json
from forcegate.bootstrap import DEMO_CALLBACK, DEMO_SCOPES, stored_demo


@click.group("demo", cls=OrgCommands)
def demo_group() -> None:
    """The demo org that `forcegate serve --demo` (`make serve`) creates on an empty database."""


@demo_group.command("show")
def demo_show(database: str | None) -> None:
    """The demo admin's username and password and the demo app's key, secret and callback."""
    with org_transaction(database) as (ctx, conn, org_id):
        try:
            found = stored_demo(ctx, conn, org_id)
        except ValueError as undecryptable:  # not the server key it was stored under
            raise click.ClickException(str(undecryptable)) from None
        if found is None:
            raise click.ClickException(
                "this org has no demo: `forcegate serve --demo` creates one only on a database without users"
            )
        print_json(
            {
                "admin_username": found.admin_username,
                "admin_password": found.admin_password,
                "admin_password_changed": found.admin_password_changed,
                "consumer_key": found.consumer_key,
                "consumer_secret": found.consumer_secret,
                "callback_url": DEMO_CALLBACK,
                "scopes": DEMO_SCOPES,
            }
        )

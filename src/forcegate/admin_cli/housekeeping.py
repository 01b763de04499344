"""``forcegate housekeeping``: purging expired and revoked rows."""

from __future__ import annotations

import click

from forcegate import housekeeping
from forcegate.admin_cli.common import OrgCommands, open_context, print_json


@click.group("housekeeping", cls=OrgCommands)
def housekeeping_group() -> None:
    """Purging expired and revoked tokens, codes and device requests (servers also run it on a
    schedule: FORCEGATE_HOUSEKEEPING_INTERVAL_SECONDS)."""


@housekeeping_group.command("run")
def housekeeping_run(database: str | None) -> None:
    """Purge now. Prints what was deleted per table; if a server is purging at this moment, prints
    {"ran": false} and leaves it to that server."""
    ctx = open_context(database)
    try:
        result = housekeeping.run(ctx, scheduled=False)
        if result is None:
            print_json(
                {
                    "ran": False,
                    "reason": "another process holds the housekeeping lease",
                    **housekeeping.status(ctx),
                }
            )
        else:
            print_json(result.as_json())
    finally:
        ctx.db.dispose()


@housekeeping_group.command("status")
def housekeeping_status(database: str | None) -> None:
    """The shared schedule (last run, next run, lease) and the row counts of the purged tables."""
    ctx = open_context(database)
    try:
        print_json(housekeeping.status(ctx))
    finally:
        ctx.db.dispose()

"""``forcegate audit-trail``: the Setup Audit Trail, as a table, CSV (the browser console's download,
column for column) or JSON."""

from __future__ import annotations

import click

from forcegate.admin_cli.common import org_transaction, print_json
from forcegate.org import audit
from forcegate.org.errors import ValidationFailed


def _time(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return audit.parse_time(value, param.name or "time")
    except ValidationFailed as refused:
        raise click.BadParameter(refused.message) from None


def _help(name: str) -> str:
    """The option's help: the query parameter's description, as a sentence."""
    text = audit.QUERY_PARAMETERS[name]
    return text[0].upper() + text[1:] + "."


def _table(found: list[audit.Entry]) -> str:
    rows = [audit.CSV_COLUMNS, *(audit.csv_row(e) for e in found)]
    # The Action sentence is last but one and long: every other column is as wide as its longest cell.
    widths = [max(len(row[i]) for row in rows) for i in range(len(audit.CSV_COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


@click.command("audit-trail")
@click.option("--user", help=_help("user"))
@click.option("--section", help=_help("section"))
@click.option("--action", help=_help("action"))
@click.option("--since", metavar="ISO", callback=_time, help=_help("since"))
@click.option("--until", metavar="ISO", callback=_time, help=_help("until"))
@click.option(
    "--limit",
    default=audit.DEFAULT_LIMIT,
    show_default=True,
    type=click.IntRange(1, audit.MAX_LIMIT),
    help="At most this many entries.",
)
@click.option(
    "--offset",
    default=0,
    show_default=True,
    type=click.IntRange(0, 2**31 - 1),
    help="Skip this many of the newest entries first.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="csv: the columns of Setup's download (Date, User, Source IP, Channel, Section, Action, Target).",
)
def audit_trail(
    user: str | None,
    section: str | None,
    action: str | None,
    since: int | None,
    until: int | None,
    limit: int,
    offset: int,
    format_: str,
    database: str | None,
) -> None:
    """Configuration changes (Setup Audit Trail), newest first: who, when, from where, what."""
    with org_transaction(database) as (_ctx, conn, org_id):
        found = audit.entries(
            conn, org_id, user=user, section=section, action=action, since_ms=since, until_ms=until,
            limit=limit, offset=offset,
        )  # fmt: skip
    if format_ == "json":
        print_json([e.as_json() for e in found])
    elif format_ == "csv":
        click.echo(audit.to_csv(found), nl=False)
    else:
        click.echo(_table(found))

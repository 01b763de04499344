"""What every server command shares: the ``--database`` option (declared here, once), opening the
org's database, the write transaction that turns admin errors into a message, and JSON output."""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from forcegate.bootstrap import ensure_org
from forcegate.config import Settings, default_database_url
from forcegate.context import Context
from forcegate.org.audit import Actor
from forcegate.org.errors import AdminError
from forcegate.storage.migrate import has_schema, upgrade

DATABASE_ENVVAR = "FORCEGATE_DATABASE_URL"


def database_option() -> click.Option:
    """``--database URL``: the one declaration every command that opens the org's database gets."""
    return click.Option(
        ["--database", "database"],
        default=None,
        envvar=DATABASE_ENVVAR,
        metavar="URL",
        help="SQLAlchemy database URL [default: FORCEGATE_DATABASE_URL, else var/forcegate.db]",
    )


class OrgCommands(click.Group):
    """A group whose commands take ``--database URL`` after their name, as users type it
    (``forcegate apps list --database URL``), when their function takes ``database``: Click passes
    every parameter to the function, so the signature says which commands open the database (not
    ``server-key generate`` nor ``tls dev-cert``). Its subgroups are of the same kind."""

    group_class = type

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not isinstance(cmd, click.Group) and _takes_database(cmd):
            cmd.params.append(database_option())
        super().add_command(cmd, name)


def _takes_database(cmd: click.Command) -> bool:
    if cmd.callback is None or any(param.name == "database" for param in cmd.params):
        return False
    return "database" in inspect.signature(cmd.callback).parameters


def open_context(database: str | None, *, create: bool = False) -> Context:
    """The org's context, migrated to the newest schema. Only ``serve`` and ``db upgrade`` may
    ``create`` the database: any other command run from the wrong folder would otherwise answer from
    a new, empty org (and leave a stray database and server key behind)."""
    url = database or default_database_url()
    settings = Settings().with_overrides(database_url=url)
    try:
        if not create and not has_schema(url):
            raise click.ClickException(_no_database_message(database, url))
        if not create and not settings.server_keys and not settings.server_key_file.exists():
            # A new key could decrypt none of the database's secrets.
            raise click.ClickException(
                f"no server key at {settings.server_key_file}, the key that encrypts this database's "
                "secrets. Set FORCEGATE_SERVER_KEYS, FORCEGATE_SERVER_KEY_FILE or FORCEGATE_HOME as the "
                "server has them."
            )
        ctx = Context.from_settings(settings)
        upgrade(ctx.db)
    except OperationalError as error:
        shown = make_url(url).render_as_string(hide_password=True)
        raise click.ClickException(f"cannot open the database {shown}: {error.orig}") from None
    return ctx


def _no_database_message(database: str | None, url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        found = f"no forcegate database at {Path(parsed.database or '').resolve()}"
    else:
        shown = parsed.render_as_string(hide_password=True)
        found = f"the database {shown} has no forcegate schema (it was never migrated)"
    if database and not _database_from_environment():
        source = "given by --database"
    elif os.environ.get(DATABASE_ENVVAR):
        source = f"from {DATABASE_ENVVAR}"
    elif os.environ.get("FORCEGATE_HOME"):
        source = f"from FORCEGATE_HOME={os.environ['FORCEGATE_HOME']}"
    else:
        source = "the default, var/ in the current folder"
    return (
        f"{found} ({source}). Point the command at your org's database with --database URL, "
        "FORCEGATE_DATABASE_URL or FORCEGATE_HOME (the folder holding forcegate.db and server.key, "
        "e.g. the var/ of the folder where `make serve` runs), "
        "or create a new one with `forcegate db upgrade`."
    )


def _database_from_environment() -> bool:
    """Whether ``--database`` took its value from FORCEGATE_DATABASE_URL rather than the command line."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and ctx.get_parameter_source("database") is ParameterSource.ENVIRONMENT


# Every change the CLI makes is recorded as the operating-system user who ran it.
CLI_ACTOR = Actor.cli


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False))


@contextmanager
def org_transaction(
    database: str | None, *, create: bool = False
) -> Iterator[tuple[Context, Connection, str]]:
    """A write transaction on the org; admin errors become a message and exit status 1."""
    ctx = open_context(database, create=create)
    try:
        with ctx.db.write() as conn:
            org = ensure_org(ctx, conn)
            yield ctx, conn, org.id
    except AdminError as error:
        raise click.ClickException(error.message) from None
    finally:
        ctx.db.dispose()

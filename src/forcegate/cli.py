"""The ``forcegate`` command: the server and administration commands (``forcegate.admin_cli``) and
the client's (``forcegate.client.cli``: login, connections, token, query, describe, limits).

The server's commands import SQLAlchemy, Alembic, the flows and the data layer: about a second
before anything runs. A developer types the client commands all day, so the server's are loaded
only when one of them is asked for (or when the whole list is shown).

Every server command takes ``--database URL`` (default ``FORCEGATE_DATABASE_URL``, else the SQLite
file that ``make serve`` uses) and prints JSON, so scripts can read it.
"""

from __future__ import annotations

import sys

import click

from forcegate.client.cli import register as register_client_commands

__all__ = ["main"]


def _server_commands() -> click.Group:
    from forcegate.admin_cli import main as server

    return server


class _Forcegate(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(_server_commands().list_commands(ctx)))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            command = _server_commands().get_command(ctx, cmd_name)
        return command


@click.group(cls=_Forcegate)
@click.version_option(package_name="forcegate")
def main() -> None:
    """forcegate: a self-hosted, Salesforce-compatible OAuth 2.0 / OpenID Connect server, and its client."""


register_client_commands(main)

if __name__ == "__main__":
    sys.exit(main())

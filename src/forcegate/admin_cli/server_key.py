"""``forcegate server-key``: the key that encrypts the database's secrets."""

from __future__ import annotations

import click

from forcegate.admin_cli.common import OrgCommands, org_transaction, print_json
from forcegate.storage import demo_credentials, signing_keys
from forcegate.storage import repositories as repo


@click.group("server-key", cls=OrgCommands)
def server_key() -> None:
    """The server key that encrypts consumer secrets."""


@server_key.command("generate")
def server_key_generate() -> None:
    """Print a new key, to put first in FORCEGATE_SERVER_KEYS (or the key file)."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


@server_key.command("reencrypt")
def server_key_reencrypt(database: str | None) -> None:
    """Re-encrypt every stored secret under the first configured key (after adding a new one)."""
    with org_transaction(database) as (ctx, conn, _org_id):
        rows = repo.all_app_secrets(conn)
        for app_id, encrypted in rows:
            repo.set_app_secret(conn, app_id, ctx.box.reencrypt(encrypted))
        # Old secrets of staged rotations (they still authenticate until revoked).
        for app_id, encrypted in repo.all_previous_app_secrets(conn):
            repo.set_previous_app_secret(conn, app_id, ctx.box.reencrypt(encrypted))
        signing = [k for k in signing_keys.all_keys(conn) if k.private_key_encrypted]
        for key in signing:
            signing_keys.set_private_key(conn, key.kid, ctx.box.reencrypt(key.private_key_encrypted))
        demos = demo_credentials.all_encrypted_passwords(conn)
        for demo_org_id, encrypted in demos:
            demo_credentials.set_encrypted_password(conn, demo_org_id, ctx.box.reencrypt(encrypted))
        print_json(
            {
                "reencrypted_connected_apps": len(rows),
                "reencrypted_signing_keys": len(signing),
                "reencrypted_demo_passwords": len(demos),
            }
        )

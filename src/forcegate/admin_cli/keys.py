"""``forcegate keys``: the signing keys of id_tokens and JWT access tokens."""

from __future__ import annotations

import click

from forcegate import keys
from forcegate.admin_cli.common import CLI_ACTOR, OrgCommands, org_transaction, print_json
from forcegate.admin_cli.declared import options
from forcegate.org import signing_keys as signing
from forcegate.resources import signing_key as declared
from forcegate.storage import signing_keys


@click.group("keys", cls=OrgCommands)
def keys_group() -> None:
    """Signing keys of id_tokens and JWT access tokens (published at /id/keys)."""


@keys_group.command("list")
def keys_list(database: str | None) -> None:
    """Every signing key and its state: active (signs), published, expired or retired."""
    with org_transaction(database) as (ctx, conn, _org_id):
        now = ctx.now_ms()
        print_json([keys.key_view(k, now) for k in signing_keys.all_keys(conn)])


@keys_group.command("rotate")
def keys_rotate(database: str | None) -> None:
    """Make a new key the signing key. The previous one stays published until the tokens it signed
    have expired; every server process switches within FORCEGATE_SIGNING_KEY_REFRESH_SECONDS."""
    with org_transaction(database) as (ctx, conn, org_id):
        print_json(signing.rotate(ctx, conn, org_id, actor=CLI_ACTOR()))


@keys_group.command("retire")
@click.argument("kid", required=False)
@options(declared.RETIRE, "force")
def keys_retire(kid: str | None, force: bool, database: str | None) -> None:
    """Retire (unpublish and wipe) KID, or without KID every rotated-out key whose tokens have expired."""
    with org_transaction(database) as (ctx, conn, org_id):
        try:
            retired = signing.retire(ctx, conn, org_id, kid, force=force, actor=CLI_ACTOR())
        except keys.NoSuchKey:
            raise click.ClickException(f"no signing key {kid!r}") from None
        except keys.RetireRefused as refused:
            raise click.ClickException(str(refused)) from None
        print_json({"retired": [kid] if kid is not None else retired})

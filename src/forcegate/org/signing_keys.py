"""The signing keys of id_tokens and JWT access tokens, as an admin rotates and retires them
(``forcegate keys``): ``forcegate.keys`` does the work, this layer records it in the Setup Audit Trail
(section "Certificate and Key Management"). Keys are the server's; the entry goes to the org's trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from forcegate import keys
from forcegate.context import Context
from forcegate.org import audit
from forcegate.org.audit import Actor
from forcegate.storage import signing_keys as store

__all__ = ["retire", "rotate"]


def rotate(ctx: Context, conn: Connection, org_id: str, *, actor: Actor) -> dict[str, Any]:
    now = ctx.now_ms()
    rotated = keys.rotate(ctx.box, conn, now)
    audit.record(
        conn, now, org_id, actor, section=audit.CERTIFICATES, action="signing_key.rotated",
        target=rotated["active"], display=f"Rotated the signing key: {rotated['active']} signs from now",
        changes=[audit.Change("active", None, rotated["active"])],
    )  # fmt: skip
    return rotated


def retire(
    ctx: Context, conn: Connection, org_id: str, kid: str | None, *, force: bool, actor: Actor
) -> list[str]:
    """Retire ``kid`` (raises keys.NoSuchKey, keys.RetireRefused), or without it every expired key;
    returns the keys this call retired (retiring a retired key again changes, and records, nothing)."""
    now = ctx.now_ms()
    if kid is None:
        retired = keys.retire_expired(conn, now)
    else:
        found = store.key_by_kid(conn, kid)
        keys.retire_key(conn, kid, now, force=force)
        retired = [] if found is not None and found.retired_ms is not None else [kid]
    for retired_kid in retired:
        forced = " (forced)" if force and kid is not None else ""
        audit.record(
            conn, now, org_id, actor, section=audit.CERTIFICATES, action="signing_key.retired",
            target=retired_kid, display=f"Retired signing key {retired_kid}{forced}",
        )  # fmt: skip
    return retired

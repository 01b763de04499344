"""Asserting that an attack changed nothing: no token issued, no grant or code written, no session
opened. Take a snapshot before the attack and compare after it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select

from forcegate.secrets_box import token_hash
from forcegate.storage import schema
from tests.support.server import Server

__all__ = ["family_revoked", "is_revoked", "nothing_issued", "snapshot"]

# What a refused request must never create. Login history and rate-limit counters are left out on
# purpose: a refusal is expected to write those.
ISSUED = (
    schema.authorizations,
    schema.authorization_codes,
    schema.access_tokens,
    schema.refresh_tokens,
    schema.app_approvals,
    schema.browser_sessions,
    schema.device_requests,
    schema.users,
    schema.connected_apps,
)


def snapshot(server: Server) -> dict[str, int]:
    """Row counts of every table a successful attack would write to, org-wide."""
    with server.ctx.db.read() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in ISSUED
        }


@contextmanager
def nothing_issued(server: Server) -> Iterator[None]:
    """``with nothing_issued(server): <attack>``: fails if the attack wrote any token, code, grant,
    session, user or app. Tests sharing a server run one at a time, so a change is the attack's."""
    before = snapshot(server)
    yield
    after = snapshot(server)
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"the attack changed state: {changed}"


def is_revoked(server: Server, token: str) -> bool:
    """Whether the stored row of an access or refresh token (found by its hash) is revoked."""
    hashed = token_hash(token)
    with server.ctx.db.read() as conn:
        for table in (schema.access_tokens, schema.refresh_tokens):
            row = conn.execute(select(table.c.revoked_ms).where(table.c.token_hash == hashed)).first()
            if row is not None:
                return row.revoked_ms is not None
    raise AssertionError("no such token is stored")


def family_revoked(server: Server, token: str) -> bool:
    """Whether the whole family of a token is revoked: its authorization and every access and refresh
    token issued under it."""
    hashed = token_hash(token)
    with server.ctx.db.read() as conn:
        authorization_id = None
        for table in (schema.access_tokens, schema.refresh_tokens):
            row = conn.execute(select(table.c.authorization_id).where(table.c.token_hash == hashed)).first()
            if row is not None:
                authorization_id = row.authorization_id
        assert authorization_id is not None, "no such token is stored"
        grant = schema.authorizations
        revoked = [
            conn.execute(select(grant.c.revoked_ms).where(grant.c.id == authorization_id)).scalar_one()
        ]
        for table in (schema.access_tokens, schema.refresh_tokens):
            revoked += conn.execute(
                select(table.c.revoked_ms).where(table.c.authorization_id == authorization_id)
            ).scalars()
    return all(value is not None for value in revoked)

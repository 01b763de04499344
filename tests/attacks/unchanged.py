"""Asserting that an attack changed nothing: no token issued, no grant or code written, no session
opened. Take a snapshot before the attack and compare after it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select

from forcegate.storage import schema
from tests.conftest import Server

__all__ = ["nothing_issued", "snapshot"]

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

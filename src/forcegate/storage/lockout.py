"""What a password login reads and writes besides the user row: the security token's hash and the
failed-attempt counter behind login lockout (salesforce-wire.md §12.3, Salesforce's
``SecuritySettings.passwordPolicies.maxLoginAttempts`` / ``lockoutInterval``).

The counter is changed with single conditional UPDATEs, so concurrent attempts neither lose a count
nor let a success slip in after another request locked the user.
"""

from __future__ import annotations

from sqlalchemy import Connection, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from forcegate.storage.schema import users

__all__ = ["clear_lockout", "record_failure", "record_success", "security_token_hash"]


def _not_locked(now_ms: int) -> ColumnElement[bool]:
    """Never locked, or the lock has run out."""
    return or_(users.c.locked_until_ms.is_(None), users.c.locked_until_ms <= now_ms)


def security_token_hash(conn: Connection, user_id: str) -> str | None:
    """SHA-256 hex of the user's security token (the clear token is never stored)."""
    row = conn.execute(select(users.c.security_token_hash).where(users.c.id == user_id)).first()
    return row.security_token_hash if row else None


def record_failure(
    conn: Connection, user_id: str, now_ms: int, *, max_attempts: int, locked_until_ms: int
) -> bool:
    """Count one failed attempt; at ``max_attempts`` (0: no limit) lock the user until
    ``locked_until_ms`` and restart the count, so the user has a full set of attempts once the lock
    runs out. Attempts while locked are not counted (the lock's end stays where it was).

    Returns whether this attempt locked the user.
    """
    counted = conn.execute(
        update(users)
        .where(users.c.id == user_id, _not_locked(now_ms))
        .values(failed_login_attempts=users.c.failed_login_attempts + 1)
    )
    if counted.rowcount != 1 or max_attempts <= 0:
        return False
    locked = conn.execute(
        update(users)
        .where(users.c.id == user_id, users.c.failed_login_attempts >= max_attempts)
        .values(failed_login_attempts=0, locked_until_ms=locked_until_ms)
    )
    return locked.rowcount == 1


def record_success(conn: Connection, user_id: str, now_ms: int) -> bool:
    """Reset the counter and note the login time, unless the user is locked (another request may
    have locked them since we read the row). Returns False when locked: the login must be refused."""
    result = conn.execute(
        update(users)
        .where(users.c.id == user_id, _not_locked(now_ms))
        .values(failed_login_attempts=0, locked_until_ms=None, last_login_ms=now_ms)
    )
    return result.rowcount == 1


def clear_lockout(conn: Connection, user_id: str) -> None:
    """Unlock a user at once (an administrator's action; the only way out of a lock "until an
    administrator unlocks", i.e. ``lockout_minutes`` = 0)."""
    conn.execute(
        update(users).where(users.c.id == user_id).values(failed_login_attempts=0, locked_until_ms=None)
    )

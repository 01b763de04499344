"""Username and password at the login page, and the browser session that follows.

Wrong password, unknown username and inactive user get the same answer and cost the same time
(an unknown user is verified against a dummy hash); only login history knows which it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from forcegate.context import Context
from forcegate.domain import ConnectedApp, User
from forcegate.flows.common import Caller, record_login
from forcegate.secrets_box import random_token, token_hash
from forcegate.storage import repositories as repo

__all__ = ["BrowserLogin", "log_in", "session_login"]

MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything, but not megabytes on our CPU


@dataclass(frozen=True)
class BrowserLogin:
    user: User
    session_token: str
    auth_time_ms: int


def log_in(
    ctx: Context,
    caller: Caller,
    *,
    org_id: str,
    username: str,
    password: str,
    app: ConnectedApp | None,
    flow: str,
) -> BrowserLogin | None:
    username = username.strip()
    with ctx.db.read() as conn:
        user = repo.user_by_username(conn, username) if username else None
    password_ok = ctx.passwords.verify(user.password_hash if user else None, password[:MAX_PASSWORD_LENGTH])
    if user is None or not password_ok:
        status = "Invalid Password"
    elif not user.is_active:
        status = "User is Inactive"
    else:
        status = "Success"
    record_login(
        ctx,
        caller,
        org_id=user.org_id if user else org_id,
        status=status,
        flow=flow,
        username=username,
        user=user,
        app=app,
    )
    if user is None or status != "Success":
        return None
    now = ctx.now_ms()
    session_token = random_token(32)
    with ctx.db.write() as conn:
        repo.insert_browser_session(
            conn,
            token_hash(session_token),
            user.org_id,
            user.id,
            now,
            now + ctx.settings.browser_session_seconds * 1000,
        )
        repo.update_user(conn, user.id, {"last_login_ms": now})
    return BrowserLogin(user, session_token, now)


def session_login(ctx: Context, session_token: str | None) -> BrowserLogin | None:
    """The login a browser session cookie stands for, if it is still valid."""
    if not session_token:
        return None
    with ctx.db.read() as conn:
        found = repo.browser_session(conn, token_hash(session_token), ctx.now_ms())
    return BrowserLogin(found[0], session_token, found[1]) if found else None

"""Username and password: the one check every password path goes through (the login page, the
OAuth password grant, SOAP ``login()``), and the browser session that follows a page login.

Wrong password, unknown username, inactive and locked-out users get the same answer and cost the
same time (an unknown user is verified against a dummy hash); only login history knows which it was.

Two org settings shape the check (salesforce-wire.md §8, §12.3):

- **Security token** (API logins only): from outside the org's trusted IP ranges the password must be
  followed by the user's 25-character security token; inside them the password alone works (and the
  password + token still does). The login page never takes a token: Salesforce verifies a browser
  from an unknown network by other means (email codes), which forcegate does not model.
- **Lockout**: ``max_login_attempts`` failed attempts in a row (0: no limit) lock the user for
  ``lockout_minutes`` (0: until an administrator unlocks them with
  ``forcegate.storage.lockout.clear_lockout``). A success resets the count. While locked, even the
  right password is refused, with login history status "Password Lockout".

Before any of that, ``forcegate.flows.throttle`` may refuse the attempt without hashing ("Login Rate
Exceeded"): too many failures from the caller's IP, or for the username from that IP.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from forcegate.context import Context
from forcegate.domain import REMOTE_ACCESS_LOGIN, ConnectedApp, Org, User
from forcegate.flows.common import SUCCESS, Caller, insert_login, record_login
from forcegate.flows.throttle import LOGIN_RATE_EXCEEDED, admit_password_attempt, settle_password_attempt
from forcegate.org.access import ip_is_trusted
from forcegate.secrets_box import constant_time_equals, random_token, token_hash
from forcegate.storage import lockout
from forcegate.storage import repositories as repo

__all__ = [
    "INVALID_PASSWORD",
    "LOGIN_RATE_EXCEEDED",
    "PASSWORD_LOCKOUT",
    "SECURITY_TOKEN_REQUIRED",
    "SUCCESS",
    "USER_INACTIVE",
    "BrowserLogin",
    "LoginRateExceeded",
    "PasswordCheck",
    "check_password",
    "log_in",
    "session_login",
]

log = logging.getLogger("forcegate.flows")

MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything, but not megabytes on our CPU
SECURITY_TOKEN_LENGTH = 25  # Salesforce's security tokens are 25 characters (org/users.py makes them)
# "Until an administrator unlocks": the largest instant we hand out, 9999-12-31T23:59:59.999Z.
LOCKED_UNTIL_UNLOCKED_MS = 253_402_300_799_999

# Login history statuses, in Salesforce's LoginHistory.Status wording.
INVALID_PASSWORD = "Invalid Password"
USER_INACTIVE = "User is Inactive"
PASSWORD_LOCKOUT = "Password Lockout"
SECURITY_TOKEN_REQUIRED = "Failed: API security token required"


@dataclass(frozen=True)
class PasswordCheck:
    """The outcome of a password check: ``user`` is whom the username named (None if nobody), for
    login history; ``status`` is the login history status, ``SUCCESS`` only when the login may go on."""

    user: User | None
    status: str

    @property
    def ok(self) -> bool:
        return self.status == SUCCESS and self.user is not None


@dataclass(frozen=True)
class _Candidate:
    """What was read before verifying: the user, their org and their security token's hash."""

    user: User | None
    org: Org | None
    security_token_hash: str | None


def _read_candidate(ctx: Context, username: str, org_id: str | None) -> _Candidate:
    with ctx.db.read() as conn:
        user = repo.user_by_username(conn, username) if username else None
        if user is None or (org_id is not None and user.org_id != org_id):
            return _Candidate(None, None, None)
        return _Candidate(user, repo.org_by_id(conn, user.org_id), lockout.security_token_hash(conn, user.id))


def _split_security_token(password: str, token_hash_hex: str | None) -> tuple[str, bool]:
    """The password to verify, and whether the last 25 characters were the user's security token.

    The token is compared through its SHA-256 in constant time; when it does not match (or there is
    none) the whole string is the password."""
    if len(password) <= SECURITY_TOKEN_LENGTH:
        return password, False
    head, tail = password[:-SECURITY_TOKEN_LENGTH], password[-SECURITY_TOKEN_LENGTH:]
    if constant_time_equals(token_hash(tail), token_hash_hex or "0" * 64):
        return head, True
    return password, False


def _lock_end_ms(org: Org, now_ms: int) -> int:
    if org.lockout_minutes <= 0:
        return LOCKED_UNTIL_UNLOCKED_MS
    return now_ms + org.lockout_minutes * 60_000


def _is_locked(user: User, now_ms: int) -> bool:
    return user.locked_until_ms is not None and user.locked_until_ms > now_ms


def check_password(
    ctx: Context,
    caller: Caller,
    *,
    username: str,
    password: str,
    api: bool,
    org_id: str | None = None,
) -> PasswordCheck:
    """Check a username and password (with the security-token rule when ``api``), apply lockout,
    and reset or count failed attempts. Exactly one argon2 verification, whatever the outcome,
    unless the throttle refuses the attempt first (status ``LOGIN_RATE_EXCEEDED``, none).

    ``org_id``: only users of that org may log in (others are treated as unknown). Does not write
    login history: callers add their flow, app and login type (``record_login``).
    """
    username = username.strip()
    attempt = admit_password_attempt(ctx, username, caller.ip)
    found = _read_candidate(ctx, username, org_id)
    user, org = found.user, found.org
    if not attempt.admitted:
        return PasswordCheck(user, LOGIN_RATE_EXCEEDED)  # no hash, no lockout count
    secret, token_given = password[:MAX_PASSWORD_LENGTH], False
    if api and user is not None:
        secret, token_given = _split_security_token(secret, found.security_token_hash)
    password_ok = ctx.passwords.verify(user.password_hash if user else None, secret)
    settle_password_attempt(ctx, attempt, password_ok=password_ok and user is not None)
    if user is None or org is None:
        return PasswordCheck(None, INVALID_PASSWORD)
    now = ctx.now_ms()
    if _is_locked(user, now):
        return PasswordCheck(user, PASSWORD_LOCKOUT)
    if not password_ok:
        with ctx.db.write() as conn:
            locked = lockout.record_failure(
                conn,
                user.id,
                now,
                max_attempts=org.max_login_attempts,
                locked_until_ms=_lock_end_ms(org, now),
            )
        if locked:
            log.warning("user %s locked out after %d failed logins", user.id, org.max_login_attempts)
        return PasswordCheck(user, INVALID_PASSWORD)
    if not user.is_active:
        return PasswordCheck(user, USER_INACTIVE)
    if api and not token_given and not ip_is_trusted(org, caller.ip):
        # The right password, but from an untrusted network without the token: refused, not
        # counted as a failure (whoever sent it knew the password).
        return PasswordCheck(user, SECURITY_TOKEN_REQUIRED)
    with ctx.db.write() as conn:
        if not lockout.record_success(conn, user.id, now):
            return PasswordCheck(user, PASSWORD_LOCKOUT)  # locked by a concurrent attempt
    return PasswordCheck(user, SUCCESS)


# --- the login page ---------------------------------------------------------------------------


class LoginRateExceeded(Exception):
    """The login page's attempt was refused by the throttle (the page says so; it is recorded)."""


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
    login_type: str = REMOTE_ACCESS_LOGIN,
) -> BrowserLogin | None:
    """The login page's check (no security token; lockout applies), then a browser session.

    None for refused credentials; raises ``LoginRateExceeded`` when the throttle refused the attempt."""
    username = username.strip()
    check = check_password(ctx, caller, username=username, password=password, api=False, org_id=org_id)
    history: dict[str, Any] = {
        "org_id": check.user.org_id if check.user else org_id,
        "status": check.status,
        "flow": flow,
        "username": username,
        "user": check.user,
        "app": app,
        "login_type": login_type,
    }
    if check.user is None or not check.ok:
        record_login(ctx, caller, **history)  # a refusal: its own short transaction
        if check.status == LOGIN_RATE_EXCEEDED:
            raise LoginRateExceeded
        return None
    now = ctx.now_ms()
    session_token = random_token(32)
    with ctx.db.write() as conn:
        # The session and its history row commit together: no session without its row.
        insert_login(ctx, conn, caller, **history)
        repo.insert_browser_session(
            conn,
            token_hash(session_token),
            check.user.org_id,
            check.user.id,
            now,
            now + ctx.settings.browser_session_seconds * 1000,
        )
    return BrowserLogin(check.user, session_token, now)


def session_login(ctx: Context, session_token: str | None) -> BrowserLogin | None:
    """The login a browser session cookie stands for, if it is still valid."""
    if not session_token:
        return None
    with ctx.db.read() as conn:
        found = repo.browser_session(conn, token_hash(session_token), ctx.now_ms())
    return BrowserLogin(found[0], session_token, found[1]) if found else None

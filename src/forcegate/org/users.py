"""Users: creation, lookup, update. Usernames are email-shaped and unique, compared case-insensitively.

What an update ends, as Salesforce does it:

- **A password reset** by an administrator issues a new security token (Salesforce resets it with the
  password: "Reset My Security Token" / the reset-password email), shown once like ``create_user``'s, so
  the old one stops working in the password grant and SOAP ``login()``; it ends the user's browser
  sessions and lifts a lockout. It does not revoke OAuth tokens: Salesforce documents no such effect
  (its refresh tokens end by revocation, the app's refresh token policy or the per-user limit of
  grants), and apps that hold tokens keep working; ``users revoke-tokens`` revokes them on purpose.
- **Deactivation** revokes every token, code, device approval and browser session of the user
  (``token_lifecycle.revoke_matching``), so reactivating the user never brings an old grant back.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import User, username_key
from forcegate.ids import InvalidId, KeyPrefix, new_id, normalize_id
from forcegate.org import audit
from forcegate.org.audit import Actor
from forcegate.org.errors import Conflict, NotFound, ValidationFailed
from forcegate.resources import user as declared
from forcegate.secrets_box import token_hash
from forcegate.storage import lockout, token_lifecycle
from forcegate.storage import repositories as repo

__all__ = ["STANDARD_USER", "create_user", "find_user", "list_users", "update_user", "user_view"]

STANDARD_USER = "Standard User"
SYSTEM_ADMINISTRATOR = "System Administrator"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TOKEN_ALPHABET = string.ascii_letters + string.digits


def email_shaped(text: str) -> bool:
    """Whether ``text`` looks like an email address (a user's, an app's contact)."""
    return _EMAIL.match(text) is not None


def _validated_username(username: str) -> str:
    username = username.strip()
    # Printable ASCII, as Salesforce's usernames are: no compatibility forms, homoglyphs or invisible
    # characters that would make a confusable twin of another user's name (Unicode TR #39).
    # (Its length, like the password's policy, is declared in forcegate.resources.user.)
    if not (username.isascii() and username.isprintable()) or not _EMAIL.match(username):
        raise ValidationFailed(declared.USERNAME_RULE, "username")
    return username_key(username)


def new_security_token() -> str:
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(25))


def create_user(
    ctx: Context,
    conn: Connection,
    org_id: str,
    *,
    username: str,
    password: str,
    profile: str | None = None,
    email: str | None = None,
    first_name: str = "",
    last_name: str | None = None,
    actor: Actor,
) -> tuple[User, str]:
    """Create a user; returns it with its security token (shown once, stored hashed)."""
    given = {"username": username, "password": password, "profile": profile, "email": email}
    values = declared.CREATE.validate({**given, "first_name": first_name, "last_name": last_name})
    username = _validated_username(values["username"])
    if repo.user_by_username(conn, username) is not None:
        raise Conflict(f"username {username!r} is already taken", "username")
    found = repo.profile_by_name(conn, org_id, profile or STANDARD_USER)
    if found is None:
        raise ValidationFailed(f"no profile named {profile!r}", "profile")
    email = (email or username).strip()
    if not email_shaped(email):
        raise ValidationFailed("email is not a valid address", "email")
    security_token = new_security_token()
    now = ctx.now_ms()
    user = repo.insert_user(
        conn,
        {
            "id": new_id(KeyPrefix.USER),
            "org_id": org_id,
            "username": username,
            "email": email,
            "first_name": (first_name or "").strip(),
            "last_name": (last_name or username.split("@")[0]).strip(),
            "is_active": True,
            "profile_id": found.id,
            "password_hash": ctx.passwords.hash(password),
            "security_token_hash": token_hash(security_token),
            "created_ms": now,
            "modified_ms": now,
        },
    )
    audit.record(
        conn, now, org_id, actor, section=audit.MANAGE_USERS, action="user.created",
        target=user.username, display=f"Created new user {user.username}",
        changes=audit.diff({}, _audited(user, found.name), AUDITED_FIELDS),
    )  # fmt: skip
    return user, security_token


# A user's fields the audit trail shows (never the password's or the security token's hash).
AUDITED_FIELDS = ("username", "email", "first_name", "last_name", "profile", "is_active")


def _audited(user: User, profile: str | None) -> dict[str, Any]:
    return {**{f: getattr(user, f) for f in AUDITED_FIELDS if f != "profile"}, "profile": profile}


def _profile_name(conn: Connection, user: User) -> str | None:
    found = repo.profile_by_id(conn, user.profile_id)
    return found.name if found else None


def _record_update(
    conn: Connection, now: int, before: User, after: User, changes: dict[str, Any], actor: Actor
) -> None:
    """Salesforce's entries for one update: a password reset, an unlock, (de)activation, a profile
    change and other field changes each get their own, as each is its own act in Setup."""
    name = after.username

    def entry(action: str, display: str, changed: list[audit.Change]) -> None:
        audit.record(
            conn, now, after.org_id, actor, section=audit.MANAGE_USERS, action=action, target=name,
            display=display, changes=changed,
        )  # fmt: skip

    old = _audited(before, _profile_name(conn, before))
    new = _audited(after, _profile_name(conn, after))
    if "password" in changes:
        entry(
            "user.password_reset", f"Reset password and security token for user {name}",
            [audit.secret_changed("password"), audit.secret_changed("security_token")],
        )  # fmt: skip
    elif changes.get("reset_security_token"):
        entry(
            "user.security_token_reset", f"Reset security token for user {name}",
            [audit.secret_changed("security_token")],
        )  # fmt: skip
    if changes.get("unlock"):
        entry("user.unlocked", f"Unlocked user {name}", [])
    if old["is_active"] != new["is_active"]:
        verb = "Activated" if new["is_active"] else "Deactivated"
        entry(f"user.{verb.lower()}", f"{verb} user {name}", audit.diff(old, new, ["is_active"]))
    if old["profile"] != new["profile"]:
        entry(
            "user.profile_changed",
            f"Changed profile for user {name} from {old['profile']} to {new['profile']}",
            audit.diff(old, new, ["profile"]),
        )
    others = audit.diff(old, new, ("email", "first_name", "last_name"))
    if others:
        entry("user.updated", audit.described(f"user {name}", others), others)


def list_users(conn: Connection, org_id: str, text: str = "") -> list[User]:
    """The org's users by username; ``text`` keeps those whose name, username or email holds it
    (any case): Setup's list filter."""
    wanted = text.strip().lower()
    found = repo.list_users(conn, org_id)
    if not wanted:
        return found
    return [u for u in found if wanted in f"{u.first_name} {u.last_name}\n{u.username}\n{u.email}".lower()]


def find_user(conn: Connection, org_id: str, ref: str) -> User:
    """A user by record ID (either form) or username."""
    user = None
    try:
        user = repo.user_by_id(conn, normalize_id(ref, KeyPrefix.USER))
    except InvalidId:
        user = repo.user_by_username(conn, ref)
    if user is None or user.org_id != org_id:
        raise NotFound(f"no user {ref!r}")
    return user


def update_user(
    ctx: Context, conn: Connection, user: User, changes: dict[str, Any], *, actor: Actor
) -> tuple[User, str | None]:
    """Apply an administrator's changes; returns the user and, after a password or security token
    reset, the new security token (shown once, stored hashed), else None."""
    changes = declared.UPDATE.validate(changes)
    values: dict[str, Any] = {}
    if "is_active" in changes:
        values["is_active"] = changes["is_active"]
    if "profile" in changes:
        found = repo.profile_by_name(conn, user.org_id, changes["profile"])
        if found is None:
            raise ValidationFailed(f"no profile named {changes['profile']!r}", "profile")
        values["profile_id"] = found.id
    security_token = None
    if "password" in changes:
        values["password_hash"] = ctx.passwords.hash(changes["password"])
    if "password" in changes or changes.get("reset_security_token"):
        # Salesforce's "Reset My Security Token": the old one stops working in the password flows.
        security_token = new_security_token()
        values["security_token_hash"] = token_hash(security_token)
    if "email" in changes:
        if not email_shaped(changes["email"]):
            raise ValidationFailed("email is not a valid address", "email")
        values["email"] = changes["email"]
    for name in ("first_name", "last_name"):
        if name in changes:
            values[name] = changes[name].strip()
    now = values["modified_ms"] = ctx.now_ms()
    repo.update_user(conn, user.id, values)
    if changes.get("unlock") or "password" in changes:
        # As in Salesforce, an administrator's password reset also unlocks the user.
        lockout.clear_lockout(conn, user.id)
    if "password" in changes:
        # Whoever held a browser session logged in with the old password.
        token_lifecycle.end_browser_sessions(conn, user.org_id, user.id)
    if user.is_active and values.get("is_active") is False:
        token_lifecycle.revoke_matching(conn, user.org_id, now, user_id=user.id)
    updated = repo.user_by_id(conn, user.id)
    assert updated is not None
    _record_update(conn, now, user, updated, changes, actor)
    return updated, security_token


def user_view(conn: Connection, user: User, security_token: str | None = None) -> dict[str, Any]:
    profile = repo.profile_by_id(conn, user.profile_id)
    view: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "profile": profile.name if profile else None,
        "permission_sets": repo.permission_set_names_for_user(conn, user.id),
        "created_ms": user.created_ms,
        "last_login_ms": user.last_login_ms,
        # Locked out after too many failed logins, until this time (null: not locked, or expired).
        "locked_until_ms": user.locked_until_ms,
    }
    if security_token is not None:
        view["security_token"] = security_token
    return view

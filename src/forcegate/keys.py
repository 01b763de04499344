"""Signing keys: the key ring every process signs and publishes with, and their rotation.

Keys live in the database (``signing_keys``), private parts encrypted under the server key. The newest
activated key that no rotation has deactivated signs; a rotated-out key stays in the JWKS until
``retire_after_ms``, when the last token it signed has expired, and is then left out (and wiped by
``forcegate keys retire``).

Each process keeps the parsed key objects (loading an RSA private key costs ~54 ms, see the
performance budget) and re-reads only the small list of live key ids at most every
``signing_key_refresh_seconds``, so a rotation made by any process or by the CLI is picked up by all
of them without a restart.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import JWSRegistry
from joserfc.registry import HeaderParameter
from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from forcegate.clock import Clock
from forcegate.secrets_box import SecretBox
from forcegate.storage import signing_keys as store
from forcegate.storage.db import Database
from forcegate.storage.schema import connected_apps

__all__ = [
    "ALGORITHM",
    "ID_TOKEN_LIFETIME_SECONDS",
    "KeyRing",
    "NoSuchKey",
    "RetireRefused",
    "create_key",
    "ensure_signing_key",
    "key_view",
    "retire_expired",
    "retire_key",
    "rotate",
]

ALGORITHM = "RS256"
RSA_KEY_BITS = 2048
# Salesforce's default id_token validity (ConnectedAppOauthIdToken.idTokenValidity): 2 minutes.
ID_TOKEN_LIFETIME_SECONDS = 120
PICKUP_MARGIN_SECONDS = 60


# Salesforce's JWT access token header carries these (salesforce-wire.md §1.3); joserfc signs only
# headers it knows of.
_SALESFORCE_HEADERS = {
    "tty": HeaderParameter("Salesforce token type", "str"),
    "tnk": HeaderParameter("Salesforce tenant key", "str"),
    "ver": HeaderParameter("Salesforce token format version", "str"),
}
_REGISTRY = JWSRegistry(header_registry=_SALESFORCE_HEADERS, algorithms=[ALGORITHM])


class NoSuchKey(LookupError):
    pass


class RetireRefused(ValueError):
    pass


@dataclass(frozen=True)
class _Live:
    kid: str
    activated_ms: int | None
    deactivated_ms: int | None
    retire_after_ms: int | None
    public: RSAKey


class KeyRing:
    """The live keys as this process last saw them, with their parsed key objects cached."""

    def __init__(self, db: Database, box: SecretBox, clock: Clock, refresh_seconds: float = 5.0) -> None:
        self._db = db
        self._box = box
        self._clock = clock
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._loaded_at = -float("inf")
        self._live: list[_Live] = []
        self._public: dict[str, RSAKey] = {}
        self._private: dict[str, RSAKey] = {}

    # --- reading the database ---------------------------------------------------------------

    def _current(self, *, force: bool = False) -> list[_Live]:
        if not force and time.monotonic() - self._loaded_at < self._refresh_seconds:
            return self._live
        with self._lock:
            if not force and time.monotonic() - self._loaded_at < self._refresh_seconds:
                return self._live
            with self._db.read() as conn:
                rows = store.live_keys(conn)
            live = [
                _Live(r.kid, r.activated_ms, r.deactivated_ms, r.retire_after_ms, self._public_key(r))
                for r in rows
            ]
            self._live = live
            # A retired key's parsed private key goes too: it never signs again.
            kids = {k.kid for k in live}
            self._private = {kid: key for kid, key in self._private.items() if kid in kids}
            self._public = {kid: key for kid, key in self._public.items() if kid in kids}
            self._loaded_at = time.monotonic()
            return live

    def reload(self) -> None:
        """Re-read the live keys now: after this process rotated or retired one (others follow
        within ``refresh_seconds``)."""
        self._current(force=True)

    def _public_key(self, row: Any) -> RSAKey:
        key = self._public.get(row.kid)
        if key is None:
            key = RSAKey.import_key(json.loads(row.public_jwk))
            self._public[row.kid] = key
        return key

    def _private_key(self, kid: str) -> RSAKey:
        key = self._private.get(kid)
        if key is None:
            with self._db.read() as conn:
                row = store.key_by_kid(conn, kid)
            if row is None or not row.private_key_encrypted:
                raise NoSuchKey(kid)
            pem = self._box.decrypt(row.private_key_encrypted)
            key = RSAKey.import_key(pem, {"kid": kid, "alg": ALGORITHM, "use": "sig"})
            self._private[kid] = key
        return key

    # --- what callers use ---------------------------------------------------------------------

    def signing_kid(self) -> str:
        live = [k for k in self._current() if k.activated_ms is not None]
        if not live:
            live = [k for k in self._current(force=True) if k.activated_ms is not None]
        if not live:
            raise NoSuchKey("no signing key: run `forcegate keys rotate`")
        signing = [k for k in live if k.deactivated_ms is None] or live
        return max(signing, key=lambda k: (k.activated_ms or 0, k.kid)).kid

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        """A compact JWS (RS256) of ``claims`` under the current signing key, ``kid`` in the header."""
        kid = self.signing_kid()
        return jwt.encode(
            {"alg": ALGORITHM, "typ": "JWT", "kid": kid, **(header or {})},
            claims,
            self._private_key(kid),
            registry=_REGISTRY,
        )

    def jwks(self) -> dict[str, Any]:
        """The published keys: every live key until its retire_after time."""
        now = self._clock.now_ms()
        keys = [
            k.public.as_dict(private=False, kid=k.kid, alg=ALGORITHM, use="sig")
            for k in self._current()
            if k.retire_after_ms is None or k.retire_after_ms > now
        ]
        return {"keys": keys}

    def key_set(self) -> KeySet:
        return KeySet.import_key_set(self.jwks())  # type: ignore[arg-type]


# --- management (CLI) -------------------------------------------------------------------------


def _next_kid(conn: Connection) -> str:
    """Short numeric kids, as Salesforce's (``"254"``). Two processes creating a key at once pick the
    same kid and the second insert fails on the primary key instead of making two signers."""
    numbers = [int(k.kid) for k in store.all_keys(conn) if k.kid.isdigit()]
    return str(max(numbers, default=0) + 1)


def create_key(box: SecretBox, conn: Connection, now_ms: int) -> store.SigningKeyRow:
    """A new RSA key, active from now (it signs once the caller's transaction commits)."""
    kid = _next_kid(conn)
    key = RSAKey.generate_key(RSA_KEY_BITS, {"kid": kid, "alg": ALGORITHM, "use": "sig"})
    pem = key.as_pem(private=True).decode()
    row = store.SigningKeyRow(
        kid=kid,
        algorithm=ALGORITHM,
        public_jwk=json.dumps(key.as_dict(private=False, kid=kid, alg=ALGORITHM, use="sig")),
        private_key_encrypted=box.encrypt(pem),
        created_ms=now_ms,
        activated_ms=now_ms,
        deactivated_ms=None,
        retire_after_ms=None,
        retired_ms=None,
    )
    store.insert_key(conn, row)
    return row


def longest_token_lifetime_seconds(conn: Connection) -> int:
    """How long a token signed now can stay valid: an id_token, or the longest JWT access token."""
    longest = conn.execute(
        select(func.max(connected_apps.c.access_token_lifetime_seconds)).where(
            connected_apps.c.jwt_access_tokens.is_(True)
        )
    ).scalar()
    return max(ID_TOKEN_LIFETIME_SECONDS, int(longest or 0))


def ensure_signing_key(db: Database, box: SecretBox, now_ms: int) -> None:
    """Create the first signing key if there is none (at server start)."""
    with db.read() as conn:
        if _has_signer(conn):
            return
    try:
        with db.write() as conn:
            if not _has_signer(conn):
                create_key(box, conn, now_ms)
    except IntegrityError:
        pass  # another process created it at the same moment: theirs is the key


def _has_signer(conn: Connection) -> bool:
    return any(k.activated_ms is not None and k.deactivated_ms is None for k in store.live_keys(conn))


def rotate(box: SecretBox, conn: Connection, now_ms: int) -> dict[str, Any]:
    """A new key signs from now; the previous ones stay published until what they signed expires."""
    new = create_key(box, conn, now_ms)
    # Other processes keep signing with the old key until they next re-read the live keys: the margin
    # covers that (it must exceed signing_key_refresh_seconds).
    retire_after = now_ms + (longest_token_lifetime_seconds(conn) + PICKUP_MARGIN_SECONDS) * 1000
    previous = store.deactivate_others(conn, new.kid, now_ms, retire_after)
    return {"active": new.kid, "published_until_retired": previous, "retire_after_ms": retire_after}


def retire_expired(conn: Connection, now_ms: int) -> list[str]:
    """Retire (and wipe) every rotated-out key whose tokens have all expired."""
    retired = []
    for key in store.all_keys(conn):
        if key.retired_ms is None and key.retire_after_ms is not None and key.retire_after_ms <= now_ms:
            store.retire(conn, key.kid, now_ms)
            retired.append(key.kid)
    return retired


def retire_key(conn: Connection, kid: str, now_ms: int, *, force: bool) -> None:
    """Retire one key now. The signing key cannot be retired (rotate first); a key whose tokens may
    still be valid only with ``force`` (a compromised key: its tokens then stop verifying)."""
    key = store.key_by_kid(conn, kid)
    if key is None:
        raise NoSuchKey(kid)
    if key.retired_ms is not None:
        return
    if key.deactivated_ms is None:
        raise RetireRefused(f"key {kid} is the signing key: rotate first")
    if not force and key.retire_after_ms is not None and key.retire_after_ms > now_ms:
        raise RetireRefused(
            f"tokens signed by key {kid} may be valid until {key.retire_after_ms}: use --force"
        )
    store.retire(conn, kid, now_ms)


def key_view(key: store.SigningKeyRow, now_ms: int) -> dict[str, Any]:
    if key.retired_ms is not None or (key.retire_after_ms is not None and key.retire_after_ms <= now_ms):
        status = "retired" if key.retired_ms is not None else "expired"
    elif key.deactivated_ms is None and key.activated_ms is not None:
        status = "active"
    else:
        status = "published"
    return {
        "kid": key.kid,
        "algorithm": key.algorithm,
        "status": status,
        "created_ms": key.created_ms,
        "activated_ms": key.activated_ms,
        "deactivated_ms": key.deactivated_ms,
        "retire_after_ms": key.retire_after_ms,
        "retired_ms": key.retired_ms,
    }

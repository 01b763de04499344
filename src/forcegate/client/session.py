"""A typed session: what every flow returns, whatever the server sends.

Salesforce sends no ``expires_in``: an access token lives as long as the session timeout (two hours
by default, set per org, profile or app; salesforce-wire.md §1.4). The expiry is therefore what the
server states where it states one (the ``exp`` of a JWT access token, or of introspection:
:meth:`Connection.with_server_expiry`), and otherwise an estimate, ``issued_at`` plus the
connection's ``session_lifetime``, marked ``expiry_estimated``. Since the timeout is really an
inactivity timer, the SDK also trusts the server: a 401 ``INVALID_SESSION_ID`` means refresh whatever
the clock says.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

__all__ = ["DEFAULT_SESSION_LIFETIME", "Session"]

DEFAULT_SESSION_LIFETIME = 7200


def _ms_to_datetime(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def jwt_expiry_ms(access_token: str) -> int | None:
    """The ``exp`` of a JWT access token (Salesforce's opt-in JWT-based tokens), in epoch ms; None for
    an opaque token. Read, not verified: it only tells when the server will stop accepting it."""
    parts = access_token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return exp * 1000 if isinstance(exp, int) and not isinstance(exp, bool) and exp > 0 else None


@dataclass(frozen=True)
class Session:
    """An access token and what goes with it. ``refresh_token`` is None for flows that issue none
    (JWT bearer, client credentials, username-password). Times are epoch milliseconds."""

    access_token: str
    instance_url: str
    identity_url: str | None = None
    scopes: tuple[str, ...] = ()
    issued_at_ms: int = 0
    expires_at_ms: int = 0
    refresh_token: str | None = None
    token_type: str = "Bearer"
    id_token: str | None = None
    signature_verified: bool = False
    expiry_estimated: bool = True  # False when the server stated expires_at_ms
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_token_response(
        cls,
        body: dict[str, Any],
        now_ms: int,
        lifetime_seconds: int = DEFAULT_SESSION_LIFETIME,
        *,
        previous_refresh_token: str | None = None,
        signature_verified: bool = False,
    ) -> Session:
        issued = str(body.get("issued_at") or "")
        issued_ms = int(issued) if issued.isdigit() else now_ms
        known = {
            "access_token",
            "instance_url",
            "id",
            "scope",
            "issued_at",
            "refresh_token",
            "token_type",
            "id_token",
            "signature",
        }
        access_token = str(body["access_token"])
        stated_ms = jwt_expiry_ms(access_token)
        return cls(
            access_token=access_token,
            instance_url=str(body.get("instance_url") or "").rstrip("/"),
            identity_url=str(body["id"]) if body.get("id") else None,
            scopes=tuple(str(body.get("scope") or "").split()),
            issued_at_ms=issued_ms,
            # Estimated from our own clock when the server's would put it in the past (clock skew).
            expires_at_ms=stated_ms or max(issued_ms, now_ms) + lifetime_seconds * 1000,
            expiry_estimated=stated_ms is None,
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else previous_refresh_token,
            token_type=str(body.get("token_type") or "Bearer"),
            id_token=str(body["id_token"]) if body.get("id_token") else None,
            signature_verified=signature_verified,
            extra={k: str(v) for k, v in body.items() if k not in known and isinstance(v, str | int)},
        )

    # --- derived ----------------------------------------------------------------------------------

    @property
    def org_id(self) -> str | None:
        """From the identity URL ``.../id/<org>/<user>`` as jsforce and the Salesforce CLI parse it."""
        parts = (self.identity_url or "").rstrip("/").split("/")
        return parts[-2] if len(parts) >= 2 and self.identity_url else None

    @property
    def user_id(self) -> str | None:
        parts = (self.identity_url or "").rstrip("/").split("/")
        return parts[-1] if self.identity_url else None

    @property
    def issued_at(self) -> dt.datetime:
        return _ms_to_datetime(self.issued_at_ms)

    @property
    def expires_at(self) -> dt.datetime:
        return _ms_to_datetime(self.expires_at_ms)

    def expires_within(self, now_ms: int, seconds: float) -> bool:
        return bool(self.expires_at_ms) and now_ms + seconds * 1000 >= self.expires_at_ms

    def with_refresh_token(self, refresh_token: str | None) -> Session:
        return replace(self, refresh_token=refresh_token)

    def with_stated_expiry(self, expires_at_ms: int) -> Session:
        """The session with the expiry the server stated (no longer an estimate)."""
        return replace(self, expires_at_ms=expires_at_ms, expiry_estimated=False)

    # --- storage ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scopes"] = list(self.scopes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        values = dict(data)
        values["scopes"] = tuple(values.get("scopes") or ())
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in names})

    def __repr__(self) -> str:
        # Never print a token, even by accident in a traceback or a log line.
        return (
            f"Session(instance_url={self.instance_url!r}, identity_url={self.identity_url!r}, "
            f"scopes={self.scopes!r}, expires_at={self.expires_at.isoformat()}, "
            f"refresh_token={'yes' if self.refresh_token else 'no'})"
        )

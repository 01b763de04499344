"""The Device flow: a device without a browser (a CLI, a TV) gets tokens for a user who approves it
on another screen.

Two dialects share one implementation:

- **Salesforce** (salesforce-wire.md §6, §14 item 8): both steps hit the token endpoint. ``POST
  /services/oauth2/token`` with ``response_type=device_code&client_id[&scope]`` (urlencoded or
  multipart: the Salesforce CLI posts FormData) answers ``device_code``, ``user_code``,
  ``verification_uri`` and ``interval``; the device then polls with ``grant_type=device`` and the
  device code as ``code``.
- **RFC 8628**: the device authorization endpoint (``POST /services/oauth2/device/authorize``, see
  ``forcegate.web.device``) answers RFC 8628 §3.2's fields, ``verification_uri_complete`` and a
  numeric ``expires_in`` included; the device polls with
  ``grant_type=urn:ietf:params:oauth:grant-type:device_code`` and ``device_code`` (§3.4).

Meanwhile the user opens ``/setup/connect``, logs in, types the user code and approves
(``check_user_code`` and ``decide``, driven by the pages in ``forcegate.web.device``).

Device codes are 256-bit random strings stored only as SHA-256 hashes. User codes are 8 characters
from an alphabet without vowels, digits or look-alikes (RFC 8628 §6.1), so about 2^34.6 values;
wrong entries are rate-limited per browser session and per client IP (RFC 8628 §5.1).

Login history: refused device authorization requests, the user's login on the verification page,
and every final answer to a poll (tokens, denied, expired, unknown or reused code). "Keep waiting"
answers (``authorization_pending``, ``slow_down``) are not attempts to log in and are not recorded:
a device polling every 5 seconds would otherwise write 120 rows in 10 minutes.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import ConnectedApp, User
from forcegate.flows import throttle
from forcegate.flows.common import Caller, issue_tokens, record_login
from forcegate.flows.grants import Attempt, ClientAuthentication, Grant, KeepWaiting
from forcegate.flows.openid import IdTokenRequest
from forcegate.org.access import user_may_use_app
from forcegate.protocol.errors import (
    AccessDenied,
    AuthorizationPending,
    ExpiredDeviceCode,
    ExpiredToken,
    InactiveUser,
    InvalidDeviceCode,
    InvalidScope,
    OAuthError,
    SlowDown,
    TooManyDeviceStarts,
    UnsupportedGrantType,
)
from forcegate.protocol.requests import TokenRequest
from forcegate.protocol.scopes import parse_scope, unknown_scopes
from forcegate.protocol.tokens import token_response
from forcegate.secrets_box import random_token, token_hash
from forcegate.storage import device_requests, rate_limits
from forcegate.storage import repositories as repo
from forcegate.storage.device_requests import APPROVED, CONSUMED, DENIED, PENDING, DeviceRequest

__all__ = [
    "FLOW",
    "POLL",
    "RFC8628_GRANT_TYPE",
    "START",
    "START_RFC8628",
    "VERIFICATION_PATH",
    "Decision",
    "DeviceAuthorization",
    "PendingApproval",
    "UserCodeRefused",
    "check_user_code",
    "decide",
    "display_user_code",
    "normalize_user_code",
    "poll",
    "start",
    "start_rfc8628",
]

FLOW = "device"
RFC8628_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
VERIFICATION_PATH = "/setup/connect"

REQUEST_LIFETIME_SECONDS = 10 * 60  # RFC 8628 leaves it to us; Salesforce's is undocumented
POLL_INTERVAL_SECONDS = 5  # Salesforce answers 5 (salesforce-wire.md §6); RFC 8628 §3.2's default
SLOW_DOWN_STEP_SECONDS = 5  # RFC 8628 §3.5: each slow_down adds 5 seconds to the interval
EXPIRED_KEPT_MS = 24 * 3600 * 1000  # expired requests are kept this long, then purged
# Starts are counted per client IP and per app over a request's lifetime, so an address holds at most
# FORCEGATE_DEVICE_STARTS_PER_IP pending requests (forcegate.flows.throttle).
START_WINDOW_MS = REQUEST_LIFETIME_SECONDS * 1000

# User codes: RFC 8628 §6.1's "BCDFGHJKLMNPQRSTVWXZ" (no vowels, so no words; no digits, so no 0/O,
# 1/I look-alikes), 8 characters, shown as XXXX-XXXX.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
_MAX_ENTERED_LENGTH = 64  # anything longer is not a user code; don't normalise megabytes
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.]+")  # spaces and dashes of every kind

# Guessing resistance (RFC 8628 §5.1): wrong user codes per fixed window, per browser session and
# per client IP. A right code is refused too once a limit is reached, until the window passes.
WRONG_CODE_WINDOW_MS = 10 * 60 * 1000
MAX_WRONG_CODES_PER_SESSION = 5
# Higher: users behind one NAT or proxy share it (configure FORCEGATE_TRUSTED_PROXIES behind a proxy).
MAX_WRONG_CODES_PER_IP = 20
RATE_LIMIT_PREFIX = "device_user_code:"

# Wire errors (protocol/errors.py; Salesforce's descriptions for these are UNCONFIRMED).
DeviceFlowDisabled = UnsupportedGrantType  # §2 table: "grant type not supported" for a disabled grant
DeviceDenied = AccessDenied  # "end-user denied authorization"
TooManyStarts = TooManyDeviceStarts
NOT_ADMIN_APPROVED_STATUS = "Failed: user is not admin approved to access this app"


# --- step 1: the device asks for codes ---------------------------------------------------------


@dataclass(frozen=True)
class DeviceAuthorization:
    device_code: str  # clear, handed to the device once; only its hash is stored
    user_code: str  # normalised (no separator)
    verification_uri: str
    interval: int
    expires_in: int


def _start(ctx: Context, conn: Connection, attempt: Attempt) -> dict[str, Any]:
    """``POST /services/oauth2/token`` with ``response_type=device_code`` (Salesforce's dialect).

    Answers exactly the fields Salesforce does (salesforce-wire.md §6; the Salesforce CLI's type has
    no ``expires_in`` or ``verification_uri_complete``), with the user code as Salesforce shows it:
    8 characters, no separator."""
    auth = _authorize_device(ctx, conn, attempt)
    return {
        "device_code": auth.device_code,
        "user_code": auth.user_code,
        "verification_uri": auth.verification_uri,
        "interval": auth.interval,
    }


def _start_rfc8628(ctx: Context, conn: Connection, attempt: Attempt) -> dict[str, Any]:
    """The RFC 8628 §3.2 device authorization response."""
    auth = _authorize_device(ctx, conn, attempt)
    user_code = display_user_code(auth.user_code)
    return {
        "device_code": auth.device_code,
        "user_code": user_code,
        "verification_uri": auth.verification_uri,
        "verification_uri_complete": f"{auth.verification_uri}?{urlencode({'user_code': user_code})}",
        "expires_in": auth.expires_in,
        "interval": auth.interval,
    }


def _authorize_device(ctx: Context, conn: Connection, attempt: Attempt) -> DeviceAuthorization:
    """Validate the client's flow and scopes, then store a new pending request. Refusals are recorded
    in login history (by the runner); a success is not (nobody has logged in yet)."""
    app, request, caller = attempt.app, attempt.request, attempt.caller
    assert app is not None  # authenticated by the runner (a secret is checked when sent)
    if not app.device_flow_enabled:
        raise DeviceFlowDisabled.with_reason("device flow disabled for the app")
    scopes = _granted_scopes(app, request.scope)
    if not throttle.admit_device_start(ctx, conn, app_id=app.id, ip=caller.ip, window_ms=START_WINDOW_MS):
        raise TooManyStarts.with_reason("device authorization starts over the limit")
    now = ctx.now_ms()
    # Housekeeping while we hold a write transaction anyway (starts are rare).
    device_requests.purge_expired(conn, now - EXPIRED_KEPT_MS)
    rate_limits.purge_stale(conn, RATE_LIMIT_PREFIX, now - WRONG_CODE_WINDOW_MS)
    device_code = random_token(32)
    for _ in range(8):  # a user code collision is a 1-in-billions event; drawing again settles it
        user_code = new_user_code()
        stored = DeviceRequest(
            device_code_hash=token_hash(device_code),
            org_id=app.org_id,
            app_id=app.id,
            user_code=user_code,
            scopes=tuple(scopes),
            interval_seconds=POLL_INTERVAL_SECONDS,
            created_ms=now,
            expires_ms=now + REQUEST_LIFETIME_SECONDS * 1000,
            last_poll_ms=None,
            status=PENDING,
            user_id=None,
            authorization_id=None,
        )
        if device_requests.insert(conn, stored):
            return DeviceAuthorization(
                device_code=device_code,
                user_code=user_code,
                verification_uri=caller.origin + VERIFICATION_PATH,
                interval=POLL_INTERVAL_SECONDS,
                expires_in=REQUEST_LIFETIME_SECONDS,
            )
    raise RuntimeError("could not draw an unused user code")


_START_PARAMETERS = ("client_id", "client_secret", "scope")
START = Grant(
    flow=FLOW,
    response_types=("device_code",),
    parameters=("response_type", *_START_PARAMETERS),
    client=ClientAuthentication.SECRET_IF_SENT,
    issue=_start,
    records_login=False,
)
# ``POST /services/oauth2/device/authorize`` (forcegate.web.device): the same step, RFC 8628's answer.
START_RFC8628 = Grant(
    flow=FLOW,
    parameters=_START_PARAMETERS,
    client=ClientAuthentication.SECRET_IF_SENT,
    issue=_start_rfc8628,
    records_login=False,
)
start = START
start_rfc8628 = START_RFC8628


def _granted_scopes(app: ConnectedApp, scope: str | None) -> list[str]:
    """The requested scopes, all known and all the app's; none requested means all the app's."""
    requested = parse_scope(scope)
    if unknown_scopes(requested) or not set(requested) <= set(app.scopes):
        raise InvalidScope.with_reason(f"scope={(scope or '')[:200]!r}")
    return requested or list(app.scopes)


def new_user_code() -> str:
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def normalize_user_code(entered: str) -> str:
    """What a user typed, as stored: upper case, without spaces or dashes ("bcdf ghjk" → "BCDFGHJK")."""
    return _SEPARATORS.sub("", entered[:_MAX_ENTERED_LENGTH]).upper()


def display_user_code(code: str) -> str:
    """XXXX-XXXX, easier to read and type (RFC 8628 §6.1)."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if len(code) == USER_CODE_LENGTH else code


# --- step 2: the user, on the verification page ------------------------------------------------

# Why a user code was refused (the page words each).
CODE_MISSING = "missing"
CODE_WRONG = "wrong"  # unknown, expired or already decided: the same answer, counted as a wrong try
CODE_RATE_LIMITED = "rate_limited"
CODE_NOT_PERMITTED = "not_permitted"  # admin-approved app, user not pre-authorized


class UserCodeRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PendingApproval:
    """A right user code: what the approval page shows."""

    app: ConnectedApp
    user_code: str  # normalised
    scopes: tuple[str, ...]


def _buckets(session_token: str, ip: str) -> list[tuple[str, int]]:
    """The rate-limit buckets of a code entry and their limits (the session only by its hash)."""
    return [
        (f"{RATE_LIMIT_PREFIX}session:{token_hash(session_token)}", MAX_WRONG_CODES_PER_SESSION),
        (f"{RATE_LIMIT_PREFIX}ip:{ip}", MAX_WRONG_CODES_PER_IP),
    ]


def check_user_code(
    ctx: Context, caller: Caller, *, session_token: str, user: User, entered: str
) -> PendingApproval:
    """The pending request a typed user code names, for ``user`` to approve.

    Every entry is counted first (one atomic upsert per bucket, so concurrent guesses cannot slip
    past the limit) and refunded when the code was right: only wrong codes use up the allowance.
    An admin-approved app the user is not assigned to denies the request at once (the device gets
    ``access_denied``). Raises ``UserCodeRefused``.
    """
    code = normalize_user_code(entered)
    if not code:
        raise UserCodeRefused(CODE_MISSING)  # an empty form is not a guess
    buckets = _buckets(session_token, caller.ip)
    permitted = True
    with ctx.db.write() as conn:
        now = ctx.now_ms()
        if _count_entry(conn, buckets, now):
            raise UserCodeRefused(CODE_RATE_LIMITED)  # rolls this entry's count back; still limited
        found, app = _pending_request(conn, code, user, now)
        if found is not None and app is not None:
            for bucket, _ in buckets:
                rate_limits.refund(conn, bucket)  # a right code uses up no allowance
            permitted = user_may_use_app(conn, app, user) is not False
            if not permitted:
                device_requests.decide(conn, found.device_code_hash, DENIED, user.id, now)
    # A wrong code's counts are committed by now.
    if found is None or app is None:
        raise UserCodeRefused(CODE_WRONG)
    if not permitted:
        record_login(
            ctx, caller, org_id=user.org_id, status=NOT_ADMIN_APPROVED_STATUS, flow=FLOW, user=user, app=app
        )
        raise UserCodeRefused(CODE_NOT_PERMITTED)
    return PendingApproval(app, found.user_code, found.scopes)


def _count_entry(conn: Connection, buckets: list[tuple[str, int]], now_ms: int) -> bool:
    """Count a code entry in every bucket; whether any bucket is now over its limit."""
    over = False
    for bucket, limit in buckets:  # always in this order, so concurrent entries lock rows alike
        over = rate_limits.hit(conn, bucket, now_ms, WRONG_CODE_WINDOW_MS) > limit or over
    return over


def _pending_request(
    conn: Connection, code: str, user: User, now_ms: int
) -> tuple[DeviceRequest | None, ConnectedApp | None]:
    """The pending request and its app, if the code names one the user's org may still decide."""
    if len(code) != USER_CODE_LENGTH:
        return None, None
    found = device_requests.pending_by_user_code(conn, code, now_ms)
    if found is None or found.org_id != user.org_id:
        return None, None
    app = repo.app_by_id(conn, found.app_id)
    if app is None or not app.is_enabled or not app.device_flow_enabled:
        return None, None
    return found, app


# Outcomes of a decision.
DECIDED_ALLOWED = "allowed"
DECIDED_DENIED = "denied"
DECISION_NOT_PERMITTED = "not_permitted"
DECISION_TOO_LATE = "too_late"  # expired, or decided in another window


@dataclass(frozen=True)
class Decision:
    outcome: str
    app_name: str | None = None


def decide(ctx: Context, caller: Caller, *, user: User, user_code: str, allow: bool) -> Decision:
    """The user's answer on the approval page. Allowing remembers the approval (as consent does)
    and lets the device's next poll collect its tokens; denying makes it ``access_denied``.

    ``user_code`` must come from the approval form whose CSRF token binds it to this session (the
    web layer checks), so this step cannot be used to guess codes past the rate limit."""
    code = normalize_user_code(user_code)
    with ctx.db.write() as conn:
        now = ctx.now_ms()
        found, app = _pending_request(conn, code, user, now)
        if found is None or app is None:
            return Decision(DECISION_TOO_LATE)
        outcome = DECIDED_ALLOWED if allow else DECIDED_DENIED
        if allow and user_may_use_app(conn, app, user) is False:
            outcome = DECISION_NOT_PERMITTED  # unassigned since the code was entered
        status = APPROVED if outcome == DECIDED_ALLOWED else DENIED
        if not device_requests.decide(conn, found.device_code_hash, status, user.id, now):
            return Decision(DECISION_TOO_LATE, app.name)
        if status == APPROVED:
            repo.save_approval(conn, user.org_id, user.id, app.id, found.scopes, now)
    if outcome == DECISION_NOT_PERMITTED:
        record_login(
            ctx, caller, org_id=user.org_id, status=NOT_ADMIN_APPROVED_STATUS, flow=FLOW, user=user, app=app
        )
    return Decision(outcome, app.name)


# --- step 3: the device polls ------------------------------------------------------------------


def _device_code_of(request: TokenRequest) -> str | None:
    """Each dialect's parameter first, the other's as a fallback."""
    if request.grant_type == RFC8628_GRANT_TYPE:
        return request.device_code or request.code
    return request.code or request.device_code


def _poll(ctx: Context, conn: Connection, attempt: Attempt) -> dict[str, Any] | KeepWaiting:
    """``grant_type=device`` with ``code`` (Salesforce) or ``grant_type=urn:ietf:params:oauth:
    grant-type:device_code`` with ``device_code`` (RFC 8628 §3.4); ``client_id`` required.

    Answers, in order: tokens once approved (exactly once: the request is consumed by a conditional
    UPDATE; presenting the code again revokes what it produced, as for a reused authorization
    code), ``access_denied``, expired (per dialect), ``slow_down`` (polled sooner than the interval;
    the interval grows by 5 s) or ``authorization_pending``. All errors are HTTP 400. "Keep waiting"
    answers commit their bookkeeping and are no login attempt (``KeepWaiting``).
    """
    app, request = attempt.app, attempt.request
    assert app is not None  # authenticated by the runner (a secret is checked when sent)
    if not app.device_flow_enabled:
        raise DeviceFlowDisabled.with_reason("device flow disabled for the app")
    device_code = _device_code_of(request)
    if not device_code:
        raise InvalidDeviceCode.with_reason("device code missing")
    found = device_requests.by_device_code_hash(conn, token_hash(device_code))
    if found is None or found.app_id != app.id:
        raise InvalidDeviceCode.with_reason("unknown device code")
    attempt.user = repo.user_by_id(conn, found.user_id) if found.user_id else None
    if found.status == CONSUMED:
        attempt.revoke_authorization_id = found.authorization_id
        raise InvalidDeviceCode.with_reason("device code reused")
    now = ctx.now_ms()
    if found.expires_ms <= now:
        expired = ExpiredToken if request.grant_type == RFC8628_GRANT_TYPE else ExpiredDeviceCode
        raise expired.with_reason("device code expired")
    if found.status == DENIED:
        raise DeviceDenied.with_reason("user denied the device")
    if found.status == PENDING:
        return KeepWaiting(_keep_waiting(conn, found, now))
    return _collect(ctx, conn, found, app, attempt)


def _keep_waiting(conn: Connection, found: DeviceRequest, now_ms: int) -> OAuthError:
    if device_requests.record_poll(conn, found.device_code_hash, now_ms):
        return AuthorizationPending.copy()
    interval = device_requests.slow_down(conn, found.device_code_hash, now_ms, SLOW_DOWN_STEP_SECONDS)
    return SlowDown.with_reason(f"polled too soon; interval now {interval}s")


def _collect(
    ctx: Context, conn: Connection, found: DeviceRequest, app: ConnectedApp, attempt: Attempt
) -> dict[str, Any]:
    """Approved: consume the request and issue its tokens, in this one transaction."""
    user = attempt.user
    if user is None or not user.is_active:
        raise InactiveUser.with_reason("user inactive")
    scopes = list(found.scopes)
    now = ctx.now_ms()
    authorization_id = repo.insert_authorization(conn, user.org_id, app.id, user.id, FLOW, scopes, now)
    if not device_requests.consume(conn, found.device_code_hash, authorization_id):
        # Another poll collected it between our read and our write: a reuse like any other.
        winner = device_requests.by_device_code_hash(conn, found.device_code_hash)
        attempt.revoke_authorization_id = winner.authorization_id if winner else None
        raise InvalidDeviceCode.with_reason("device code reused")
    origin = attempt.caller.origin
    tokens = issue_tokens(
        ctx,
        conn,
        app=app,
        user=user,
        scopes=scopes,
        flow=FLOW,
        authorization_id=authorization_id,
        issuer=origin,
        # The user authenticated in the browser that approved the device: their latest login.
        id_token=IdTokenRequest(auth_time_ms=user.last_login_ms or now),
    )
    return token_response(tokens, origin, attempt.secret)


POLL = Grant(
    flow=FLOW,
    grant_types=("device", RFC8628_GRANT_TYPE),  # Salesforce's dialect, RFC 8628
    parameters=("client_id", "client_secret", "code", "device_code"),
    client=ClientAuthentication.SECRET_IF_SENT,
    issue=_poll,
)
poll = POLL

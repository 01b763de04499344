"""SOAP API ``login()`` and ``logout()`` of Salesforce's partner WSDL, without the HTTP around them.

What jsforce (``loginBySoap``/``logoutBySoap``) and simple-salesforce (``soap_login``) send and parse,
salesforce-wire.md §8.2 and client-compatibility.md "SOAP login":

- ``login(username, password)`` → ``loginResponse/result`` (a ``LoginResult``) whose ``sessionId`` is an
  ordinary forcegate access token (``00D…!…``, usable as a Bearer token), ``serverUrl`` =
  ``<origin>/services/Soap/u/<version>/<org15>`` and ``userInfo``. Result elements are unprefixed
  (default namespace ``urn:partner.soap.sforce.com``): simple-salesforce finds them by bare tag name.
- ``logout()`` with ``SessionHeader/sessionId`` → revokes that session's whole token family.
- Errors are SOAP 1.1 faults (HTTP 500): ``faultcode`` ``sf:<CODE>``, ``faultstring`` ``<CODE>: <message>``
  and ``detail/sf:<Type>Fault`` carrying ``sf:exceptionCode`` and ``sf:exceptionMessage`` (jsforce reads
  ``faultstring``, simple-salesforce the two ``sf:`` elements by qualified name).

The password check is ``flows.login.check_password`` (security token, lockout), like every password path.

**Token storage**: every token belongs to a connected app, so SOAP sessions belong to an internal app
named "SOAP API" (consumer key ``SOAP-API-INTERNAL``, scopes ``api web``), created on the first SOAP
login. It is locked down for OAuth use — admin-approved with nobody assigned, PKCE and secret
required, no user-agent flow — and its secret is never shown. Disabling it disables SOAP sessions
(bearer validation checks the app); deleting it revokes them and it is created again on next login.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

import defusedxml
import defusedxml.ElementTree as safe_xml
from sqlalchemy.exc import IntegrityError

from forcegate.context import Context
from forcegate.domain import PERMITTED_ADMIN_APPROVED, ConnectedApp, Org, User
from forcegate.flows.bearer import validate_access_token
from forcegate.flows.common import Caller, insert_login, issue_tokens, record_login
from forcegate.flows.login import LOGIN_RATE_EXCEEDED, check_password
from forcegate.ids import to15
from forcegate.org.audit import Actor
from forcegate.org.connected_apps import create_app
from forcegate.org.errors import AdminError
from forcegate.org.permissions import load_user_access
from forcegate.protocol.tokens import IssuedTokens
from forcegate.storage import repositories as repo

__all__ = [
    "FLOW",
    "SOAP_APP_KEY",
    "SoapCall",
    "SoapFault",
    "client_fault",
    "handle",
    "parse_envelope",
    "soap_app",
    "unsupported_version_fault",
]

log = logging.getLogger("forcegate.soap")

FLOW = "soap"
# Salesforce's LoginHistory.LoginType for SOAP API logins without a client id (UNCONFIRMED wording).
LOGIN_TYPE = "Other Apex API"
SOAP_DISABLED_STATUS = "Failed: SOAP API login() Disabled"  # login history; wording is ours

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER_NS = "urn:partner.soap.sforce.com"
FAULT_NS = "urn:fault.partner.soap.sforce.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

SOAP_APP_NAME = "SOAP API"
SOAP_APP_KEY = "SOAP-API-INTERNAL"
SOAP_APP_CALLBACK = "http://localhost/soap-unused"
SOAP_APP_SCOPES = "api web"


# --- faults -------------------------------------------------------------------------------------


class SoapFault(Exception):
    """A SOAP 1.1 fault. Build one with the functions below (a fresh instance per raise).

    ``reason`` is for logs only, never sent."""

    def __init__(
        self,
        faultcode: str,
        faultstring: str,
        *,
        exception_code: str | None = None,
        exception_message: str | None = None,
        detail_type: str = "UnexpectedErrorFault",
        status: int = 500,
        reason: str = "",
    ) -> None:
        super().__init__(faultstring)
        self.faultcode = faultcode
        self.faultstring = faultstring
        self.exception_code = exception_code
        self.exception_message = exception_message
        self.detail_type = detail_type
        self.status = status
        self.reason = reason

    def to_xml(self) -> str:
        detail = ""
        if self.exception_code is not None:
            t = self.detail_type
            detail = (
                f'<detail><sf:{t} xsi:type="sf:{t}">'
                f"<sf:exceptionCode>{escape(self.exception_code)}</sf:exceptionCode>"
                f"<sf:exceptionMessage>{escape(self.exception_message or '')}</sf:exceptionMessage>"
                f"</sf:{t}></detail>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}" xmlns:sf="{FAULT_NS}" xmlns:xsi="{XSI_NS}">'
            "<soapenv:Body><soapenv:Fault>"
            f"<faultcode>{escape(self.faultcode)}</faultcode>"
            f"<faultstring>{escape(self.faultstring)}</faultstring>"
            f"{detail}</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
        )


def api_fault(
    code: str, message: str, *, detail_type: str = "UnexpectedErrorFault", reason: str = ""
) -> SoapFault:
    """A Salesforce API fault: ``sf:CODE``, ``CODE: message`` and the ``sf:`` detail."""
    return SoapFault(
        f"sf:{code}",
        f"{code}: {message}",
        exception_code=code,
        exception_message=message,
        detail_type=detail_type,
        reason=reason,
    )


def client_fault(message: str, *, status: int = 500, faultcode: str = "soapenv:Client") -> SoapFault:
    """A request the SOAP layer cannot read (SOAP 1.1 §4.4.1 ``Client``): no Salesforce detail."""
    return SoapFault(faultcode, message, status=status, reason=message)


INVALID_LOGIN_MESSAGE = "Invalid username, password, security token; or user locked out."
SOAP_DISABLED_MESSAGE = "SOAP API login() is disabled for this organization."  # wording UNCONFIRMED
INVALID_SESSION_MESSAGE = "Invalid Session ID found in SessionHeader: Illegal Session"


def invalid_login_fault(reason: str) -> SoapFault:
    return api_fault("INVALID_LOGIN", INVALID_LOGIN_MESSAGE, detail_type="LoginFault", reason=reason)


# Salesforce's login() rate-limit fault code (KB 000381578); the message is ours (UNCONFIRMED).
LOGIN_RATE_EXCEEDED_MESSAGE = "Login Rate Exceeded"


def login_rate_exceeded_fault() -> SoapFault:
    return api_fault(
        "LOGIN_RATE_EXCEEDED", LOGIN_RATE_EXCEEDED_MESSAGE, detail_type="LoginFault", reason="throttled"
    )


def soap_disabled_fault() -> SoapFault:
    return api_fault(
        "API_DISABLED_FOR_ORG", SOAP_DISABLED_MESSAGE, detail_type="LoginFault", reason="SOAP login disabled"
    )


API_DISABLED_MESSAGE = "API is not enabled for this Organization or Partner"
API_DISABLED_STATUS = "Failed: API Disabled"


def api_disabled_fault() -> SoapFault:
    return api_fault(
        "API_DISABLED_FOR_ORG",
        API_DISABLED_MESSAGE,
        detail_type="LoginFault",
        reason="user without API Enabled",
    )


def invalid_session_fault(reason: str) -> SoapFault:
    return api_fault("INVALID_SESSION_ID", INVALID_SESSION_MESSAGE, reason=reason)


def unsupported_version_fault(version: str) -> SoapFault:
    return api_fault(
        "UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL", reason=f"version={version[:20]!r}"
    )


# --- the envelope -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoapCall:
    """One operation from a request envelope: its local name, its parameters (child element local
    name → text, first occurrence) and the ``SessionHeader``'s session id, if any."""

    operation: str
    namespace: str
    params: dict[str, str] = field(default_factory=dict)
    session_id: str | None = None


def _split_tag(tag: str) -> tuple[str, str]:
    """``{ns}local`` → (ns, local); clients use any prefixes, so names are compared this way."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _local(element: Element) -> str:
    return _split_tag(element.tag)[1]


def _child(parent: Element, local: str) -> Element | None:
    return next((c for c in parent if _local(c) == local), None)


def _parse_xml(body: bytes) -> Element:
    """Parse with every DTD refused (SOAP 1.1 §3: a SOAP message MUST NOT contain one), hence no
    entity declarations, no external references and no entity-expansion bombs."""
    try:
        root: Element = safe_xml.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise client_fault("DOCTYPE is not allowed in a SOAP message") from exc
    except (ParseError, ValueError, UnicodeError, LookupError) as exc:  # LookupError: unknown encoding=
        raise client_fault("Unable to parse the request: not well-formed XML") from exc
    return root


def parse_envelope(body: bytes) -> SoapCall:
    """The operation a SOAP 1.1 envelope carries (the first element of its Body)."""
    root = _parse_xml(body)
    namespace, local = _split_tag(root.tag)
    if local != "Envelope":
        raise client_fault("Unable to parse the request: the root element must be a SOAP Envelope")
    if namespace != SOAP_ENV_NS:
        raise client_fault("Only SOAP 1.1 envelopes are supported", faultcode="soapenv:VersionMismatch")
    body_element = _child(root, "Body")
    operation = next(iter(body_element), None) if body_element is not None else None
    if operation is None:
        raise client_fault("Unable to parse the request: the SOAP Body has no operation")
    params: dict[str, str] = {}
    for child in operation:
        params.setdefault(_local(child), child.text or "")
    return SoapCall(
        operation=_local(operation),
        namespace=_split_tag(operation.tag)[0],
        params=params,
        session_id=_session_id(root),
    )


def _session_id(root: Element) -> str | None:
    header = _child(root, "Header")
    session_header = _child(header, "SessionHeader") if header is not None else None
    session = _child(session_header, "sessionId") if session_header is not None else None
    if session is None:
        return None
    return (session.text or "").strip() or None


# --- the internal app that holds SOAP sessions -----------------------------------------------------


def soap_app(ctx: Context, org_id: str) -> ConnectedApp:
    """The internal "SOAP API" app, created on first use (idempotent, safe under concurrency)."""
    with ctx.db.read() as conn:
        app = repo.app_by_consumer_key(conn, SOAP_APP_KEY)
    if app is not None:
        return app
    try:
        with ctx.db.write() as conn:
            app = repo.app_by_consumer_key(conn, SOAP_APP_KEY)
            if app is None:
                app, _secret = create_app(
                    ctx,
                    conn,
                    org_id,
                    name=SOAP_APP_NAME,
                    callback_urls=[SOAP_APP_CALLBACK],
                    scopes=SOAP_APP_SCOPES,
                    consumer_key=SOAP_APP_KEY,
                    permitted_users=PERMITTED_ADMIN_APPROVED,
                    require_pkce=True,
                    user_agent_flow_enabled=False,
                    actor=Actor.system("SOAP API app, created on first use"),
                )
                log.info("created the internal %r connected app for SOAP sessions", SOAP_APP_NAME)
            return app
    except IntegrityError:
        refusal = None  # another process created it between our read and our insert
    except AdminError as exc:
        # Either another process committed the app between our lookup and create_app's name check,
        # or an admin's own app already has the name "SOAP API": the lookup below tells which.
        refusal = exc
    with ctx.db.read() as conn:
        app = repo.app_by_consumer_key(conn, SOAP_APP_KEY)
    if app is None:
        reason = str(refusal) if refusal else "SOAP app vanished"
        log.error("cannot create the internal SOAP API app: %s", reason)
        raise api_fault("UNKNOWN_EXCEPTION", "An unexpected error occurred.", reason=reason)
    return app


# --- operations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoapContext:
    """What an operation needs besides the call: who calls (and the public origin), the org, the
    API version from the URL."""

    ctx: Context
    caller: Caller
    org_id: str
    version: str


def login(sc: SoapContext, call: SoapCall) -> str:
    """``login(username, password)``: Salesforce API "login()" (developer.salesforce.com
    ``sforce_api_calls_login``)."""
    username = call.params.get("username", "").strip()
    with sc.ctx.db.read() as conn:
        org = repo.org_by_id(conn, sc.org_id)
    if org is None or not org.allow_soap_login:
        _record(sc, SOAP_DISABLED_STATUS, username)
        raise soap_disabled_fault()
    app = soap_app(sc.ctx, org.id)
    if not app.is_enabled:  # an admin disabled SOAP sessions by disabling their app
        _record(sc, SOAP_DISABLED_STATUS, username, app=app)
        raise soap_disabled_fault()
    check = check_password(
        sc.ctx,
        sc.caller,
        username=username,
        password=call.params.get("password", ""),
        api=True,
        org_id=org.id,
    )
    if check.user is None or not check.ok:
        _record(sc, check.status, username, check.user, app)
        if check.status == LOGIN_RATE_EXCEEDED:
            raise login_rate_exceeded_fault()
        raise invalid_login_fault(check.status)
    with sc.ctx.db.write() as conn:
        # The "API Enabled" permission gates every API, the SOAP API's login() included.
        api_enabled = load_user_access(conn, check.user.id).api_enabled
        scopes = list(app.scopes)
        tokens = None
        if api_enabled:
            tokens = issue_tokens(sc.ctx, conn, app=app, user=check.user, scopes=scopes, flow=FLOW)
            # In the session's own transaction: no session without its history row.
            insert_login(sc.ctx, conn, sc.caller, **_history(sc, check.status, username, check.user, app))
    if tokens is None:
        _record(sc, API_DISABLED_STATUS, username, check.user, app)
        raise api_disabled_fault()
    return login_response(sc, org, check.user, app, tokens)


def logout(sc: SoapContext, call: SoapCall) -> str:
    """``logout()``: ends the session named in the ``SessionHeader`` (jsforce ``logoutBySoap``)."""
    grant = validate_access_token(sc.ctx, call.session_id)
    if grant is None or grant.org_id != sc.org_id:
        raise invalid_session_fault("logout without a valid session")
    with sc.ctx.db.write() as conn:
        repo.revoke_authorization(conn, grant.authorization_id, sc.ctx.now_ms())
    log.info("soap logout: revoked authorization %s of user %s", grant.authorization_id, grant.user_id)
    return _envelope("<logoutResponse/>")


OPERATIONS: dict[str, Callable[[SoapContext, SoapCall], str]] = {"login": login, "logout": logout}


def handle(ctx: Context, caller: Caller, *, org_id: str, version: str, call: SoapCall) -> str:
    """Run one call; returns the response envelope or raises SoapFault."""
    operation = OPERATIONS.get(call.operation)
    if operation is None:
        name = f"{{{call.namespace}}}{call.operation}"[:200]
        raise client_fault(
            f"No operation available for request {name}, please check the WSDL for the service."
        )
    return operation(SoapContext(ctx, caller, org_id, version), call)


def _record(
    sc: SoapContext, status: str, username: str, user: User | None = None, app: ConnectedApp | None = None
) -> None:
    """A refused login, in login history's own short transaction."""
    record_login(sc.ctx, sc.caller, **_history(sc, status, username, user, app))


def _history(
    sc: SoapContext, status: str, username: str, user: User | None, app: ConnectedApp | None
) -> dict[str, Any]:
    return {
        "org_id": sc.org_id,
        "status": status,
        "flow": FLOW,
        "login_type": LOGIN_TYPE,
        "username": username,
        "user": user,
        "app": app,
    }


# --- responses ------------------------------------------------------------------------------------


def _envelope(body: str) -> str:
    """A response envelope whose default namespace is the partner WSDL's (result elements unprefixed)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}" xmlns="{PARTNER_NS}" xmlns:xsi="{XSI_NS}">'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )


def _elements(values: list[tuple[str, str | None]]) -> str:
    """``<name>value</name>`` for each pair, ``xsi:nil`` for None, values XML-escaped."""
    return "".join(
        f'<{name} xsi:nil="true"/>' if value is None else f"<{name}>{escape(value)}</{name}>"
        for name, value in values
    )


def login_response(sc: SoapContext, org: Org, user: User, app: ConnectedApp, tokens: IssuedTokens) -> str:
    """``loginResponse/result``: LoginResult with GetUserInfoResult, fields in the WSDL's order."""
    origin, org15 = sc.caller.origin, to15(org.id)
    user_info = _elements(
        [
            ("accessibilityMode", "false"),
            ("chatterExternal", "false"),
            ("currencySymbol", "$"),
            ("orgAttachmentFileSizeLimit", "5242880"),
            ("orgDefaultCurrencyIsoCode", "USD"),
            ("orgDefaultCurrencyLocale", "en_US"),
            ("orgDisallowHtmlAttachments", "false"),
            ("orgHasPersonAccounts", "false"),
            ("organizationId", org.id),
            ("organizationMultiCurrency", "false"),
            ("organizationName", org.name),
            ("profileId", user.profile_id),
            ("roleId", None),
            ("sessionSecondsValid", str(app.access_token_lifetime_seconds)),
            ("userDefaultCurrencyIsoCode", None),
            ("userEmail", user.email),
            ("userFullName", user.name),
            ("userId", user.id),
            ("userLanguage", "en_US"),
            ("userLocale", "en_US"),
            ("userName", user.username),
            ("userTimeZone", "GMT"),
            ("userType", "Standard"),
            ("userUiSkin", "Theme3"),
        ]
    )
    result = _elements(
        [
            ("metadataServerUrl", f"{origin}/services/Soap/m/{sc.version}/{org15}"),
            ("passwordExpired", "false"),
            ("sandbox", "true" if org.is_sandbox else "false"),
            ("serverUrl", f"{origin}/services/Soap/u/{sc.version}/{org15}"),
            ("sessionId", tokens.access_token),
            ("userId", user.id),
        ]
    )
    return _envelope(
        f"<loginResponse><result>{result}<userInfo>{user_info}</userInfo></result></loginResponse>"
    )

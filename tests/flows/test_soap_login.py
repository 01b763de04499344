"""SOAP API login() and logout() over real HTTP, as jsforce and simple-salesforce send and parse them.

salesforce-wire.md §8.2; client-compatibility.md "SOAP login".
"""

from __future__ import annotations

import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import httpx
import pytest

from forcegate.domain import PERMITTED_ADMIN_APPROVED, User
from forcegate.flows.soap import LOGIN_TYPE, SOAP_APP_KEY
from forcegate.org import users
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.org_settings import LOOPBACK, OrgSettings
from tests.support.server import PASSWORD, Server
from tests.support.soap import ENV, NS, PARTNER, jsforce_login, parse_soap, soap_fault, soap_text

INVALID_LOGIN = "Invalid username, password, security token; or user locked out."


@pytest.fixture
def soap_on(org_settings: OrgSettings) -> OrgSettings:
    """SOAP login allowed, from loopback without a security token."""
    org_settings(allow_soap_login=True, trusted_ip_ranges=LOOPBACK)
    return org_settings


def _user(server: Server) -> tuple[User, str]:
    """A new user and their security token."""
    with server.ctx.db.write() as conn:
        return users.create_user(
            server.ctx,
            conn,
            server.org_id,
            username=f"soap-{secrets.token_hex(4)}@example.com",
            password=PASSWORD,
            first_name="Ada",
            last_name="Soap",
            actor=FIXTURE,
        )


def simple_salesforce_login(username: str, password: str) -> str:
    """The envelope simple-salesforce's ``SalesforceLogin`` sends (prefixed elements, CallOptions)."""
    return f"""<?xml version="1.0" encoding="utf-8" ?>
<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
        xmlns:env="{ENV}" xmlns:urn="{PARTNER}">
    <env:Header>
        <urn:CallOptions><urn:client>simple-salesforce</urn:client>
        <urn:defaultNamespace>sf</urn:defaultNamespace></urn:CallOptions>
    </env:Header>
    <env:Body>
        <n1:login xmlns:n1="{PARTNER}">
            <n1:username>{escape(username)}</n1:username>
            <n1:password>{escape(password)}</n1:password>
        </n1:login>
    </env:Body>
</env:Envelope>"""


def logout_envelope(session_id: str) -> str:
    """jsforce's ``logoutBySoap``."""
    return (
        f'<se:Envelope xmlns:se="{ENV}"><se:Header><SessionHeader xmlns="{PARTNER}">'
        f"<sessionId>{escape(session_id)}</sessionId></SessionHeader></se:Header>"
        f'<se:Body><logout xmlns="{PARTNER}"/></se:Body></se:Envelope>'
    )


def _post(
    server: Server,
    body: str | bytes | Iterator[bytes],
    *,
    version: str = "59.0",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {"Content-Type": "text/xml", "SOAPAction": '""'} if headers is None else headers
    content = body.encode() if isinstance(body, str) else body
    with server.client() as client:
        return client.post(f"/services/Soap/u/{version}", content=content, headers=sent)


def _result(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    result = parse_soap(response).find("soapenv:Body/p:loginResponse/p:result", NS)
    assert result is not None, response.text
    return result


def _assert_api_fault(response: httpx.Response, code: str, message: str) -> None:
    fault = soap_fault(response)
    assert soap_text(fault, "faultcode") == f"sf:{code}"
    assert soap_text(fault, "faultstring") == f"{code}: {message}"
    assert soap_text(fault, "detail/*/sf:exceptionCode") == code
    assert soap_text(fault, "detail/*/sf:exceptionMessage") == message
    # simple-salesforce looks these up by their qualified names.
    assert f"<sf:exceptionCode>{code}</sf:exceptionCode>" in response.text


def _userinfo(server: Server, token: str) -> httpx.Response:
    with server.client() as client:
        return client.get("/services/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"})


def _soap_history(server: Server, user: User) -> list[dict[str, Any]]:
    return server.login_history_of(user_id=user.id, flow="soap")


# --- login ---------------------------------------------------------------------------------------


def test_when_login_succeeds_then_result_carries_a_working_session(
    server: Server, soap_on: OrgSettings
) -> None:
    user, _ = _user(server)
    result = _result(_post(server, jsforce_login(user.username, PASSWORD)))
    org15 = server.org_id[:15]
    server_url = soap_text(result, "p:serverUrl")
    assert server_url == f"{server.url}/services/Soap/u/59.0/{org15}"
    assert urlsplit(server_url).netloc == urlsplit(server.url).netloc  # clients take the host from it
    assert soap_text(result, "p:metadataServerUrl") == f"{server.url}/services/Soap/m/59.0/{org15}"
    assert soap_text(result, "p:passwordExpired") == "false" and soap_text(result, "p:sandbox") == "false"
    assert soap_text(result, "p:userId") == user.id
    info = result.find("p:userInfo", NS)
    assert info is not None
    assert {
        name: soap_text(info, f"p:{name}")
        for name in (
            "organizationId",
            "userEmail",
            "userFullName",
            "userId",
            "userName",
            "sessionSecondsValid",
        )
    } == {
        "organizationId": server.org_id,
        "userEmail": user.email,
        "userFullName": "Ada Soap",
        "userId": user.id,
        "userName": user.username,
        "sessionSecondsValid": "7200",
    }
    session_id = soap_text(result, "p:sessionId")
    assert session_id is not None and session_id.startswith(org15 + "!")
    info_response = _userinfo(server, session_id)
    assert info_response.status_code == 200 and info_response.json()["user_id"] == user.id
    rows = _soap_history(server, user)
    assert [(r["status"], r["login_type"], r["app_name"]) for r in rows] == [
        ("Success", LOGIN_TYPE, "SOAP API")
    ]


def test_when_simple_salesforce_envelope_and_headers_then_login_succeeds(
    server: Server, soap_on: OrgSettings
) -> None:
    user, _ = _user(server)
    headers = {"content-type": "text/xml", "charset": "UTF-8", "SOAPAction": "login"}
    response = _post(server, simple_salesforce_login(user.username, PASSWORD), headers=headers)
    assert soap_text(_result(response), "p:userId") == user.id
    # The elements clients look up by bare tag name appear exactly once, unprefixed.
    for tag in ("sessionId", "serverUrl", "passwordExpired", "organizationId"):
        assert response.text.count(f"<{tag}>") == 1


def test_when_soapaction_missing_and_charset_given_then_login_succeeds(
    server: Server, soap_on: OrgSettings
) -> None:
    user, _ = _user(server)
    headers = {"Content-Type": "text/xml; charset=UTF-8"}
    assert soap_text(
        _result(_post(server, jsforce_login(user.username, PASSWORD), headers=headers)), "p:userId"
    )


def test_when_body_is_chunked_then_login_succeeds(server: Server, soap_on: OrgSettings) -> None:
    user, _ = _user(server)
    envelope = jsforce_login(user.username, PASSWORD).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(envelope), 50):
            yield envelope[start : start + 50]

    assert soap_text(_result(_post(server, chunks())), "p:userId") == user.id


def test_when_ip_untrusted_then_password_needs_the_security_token(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(allow_soap_login=True, trusted_ip_ranges=[])
    user, token = _user(server)
    _assert_api_fault(_post(server, jsforce_login(user.username, PASSWORD)), "INVALID_LOGIN", INVALID_LOGIN)
    assert (
        soap_text(_result(_post(server, jsforce_login(user.username, PASSWORD + token))), "p:userId")
        == user.id
    )
    assert [r["status"] for r in reversed(_soap_history(server, user))] == [
        "Failed: API security token required",
        "Success",
    ]


def test_when_password_wrong_or_user_unknown_then_invalid_login_fault(
    server: Server, soap_on: OrgSettings
) -> None:
    user, _ = _user(server)
    wrong = _post(server, jsforce_login(user.username, "Wrong-pass1"))
    unknown = _post(server, jsforce_login("nobody-" + user.username, PASSWORD))
    _assert_api_fault(wrong, "INVALID_LOGIN", INVALID_LOGIN)
    assert wrong.content == unknown.content
    assert soap_text(soap_fault(wrong), "faultstring") == (
        "INVALID_LOGIN: Invalid username, password, security token; or user locked out."
    )
    assert "LoginFault" in wrong.text
    assert [r["status"] for r in _soap_history(server, user)] == ["Invalid Password"]


def test_when_soap_login_is_off_then_api_disabled_fault(server: Server, org_settings: OrgSettings) -> None:
    org_settings(allow_soap_login=False, trusted_ip_ranges=LOOPBACK)
    user, _ = _user(server)
    response = _post(server, jsforce_login(user.username, PASSWORD))
    _assert_api_fault(response, "API_DISABLED_FOR_ORG", "SOAP API login() is disabled for this organization.")
    statuses = [r["status"] for r in server.login_history_of(username=user.username)]
    assert statuses == ["Failed: SOAP API login() Disabled"]


def test_when_the_internal_soap_app_is_disabled_then_api_disabled_fault(
    server: Server, soap_on: OrgSettings
) -> None:
    user, _ = _user(server)
    session_id = soap_text(_result(_post(server, jsforce_login(user.username, PASSWORD))), "p:sessionId")
    assert session_id is not None
    with server.ctx.db.read() as conn:
        app = repo.app_by_consumer_key(conn, SOAP_APP_KEY)
    assert app is not None
    server.update_app(app, is_enabled=False)
    try:
        response = _post(server, jsforce_login(user.username, PASSWORD))
        _assert_api_fault(
            response, "API_DISABLED_FOR_ORG", "SOAP API login() is disabled for this organization."
        )
        assert _userinfo(server, session_id).status_code == 401  # existing sessions stop too
    finally:
        server.update_app(app, is_enabled=True)


def test_when_an_admin_app_holds_the_internal_name_then_unknown_exception_fault(
    server: Server, soap_on: OrgSettings
) -> None:
    user, _ = _user(server)
    with server.ctx.db.write() as conn:
        internal = repo.app_by_consumer_key(conn, SOAP_APP_KEY)
        if internal is not None:
            repo.delete_app(conn, internal.id)
    squatter, _ = server.create_app(name="SOAP API")
    try:
        response = _post(server, jsforce_login(user.username, PASSWORD))
        _assert_api_fault(response, "UNKNOWN_EXCEPTION", "An unexpected error occurred.")
    finally:
        with server.ctx.db.write() as conn:
            repo.delete_app(conn, squatter.id)
    assert soap_text(_result(_post(server, jsforce_login(user.username, PASSWORD))), "p:userId") == user.id


def test_when_locked_out_then_soap_refuses_the_right_password(server: Server, soap_on: OrgSettings) -> None:
    soap_on(max_login_attempts=1, lockout_minutes=15)
    user, _ = _user(server)
    _assert_api_fault(
        _post(server, jsforce_login(user.username, "Wrong-pass1")), "INVALID_LOGIN", INVALID_LOGIN
    )
    _assert_api_fault(_post(server, jsforce_login(user.username, PASSWORD)), "INVALID_LOGIN", INVALID_LOGIN)
    assert _soap_history(server, user)[0]["status"] == "Password Lockout"


def test_when_user_inactive_then_invalid_login_fault(server: Server, soap_on: OrgSettings) -> None:
    user, _ = _user(server)
    server.update_user(user, is_active=False)
    _assert_api_fault(_post(server, jsforce_login(user.username, PASSWORD)), "INVALID_LOGIN", INVALID_LOGIN)
    assert [r["status"] for r in _soap_history(server, user)] == ["User is Inactive"]


def test_when_login_repeats_then_one_locked_down_internal_app_holds_the_sessions(
    server: Server, soap_on: OrgSettings
) -> None:
    user, _ = _user(server)
    first = soap_text(_result(_post(server, jsforce_login(user.username, PASSWORD))), "p:sessionId")
    second = soap_text(_result(_post(server, jsforce_login(user.username, PASSWORD))), "p:sessionId")
    assert first != second
    with server.ctx.db.read() as conn:
        app = repo.app_by_consumer_key(conn, SOAP_APP_KEY)
        named = repo.app_by_name(conn, server.org_id, "SOAP API")
    assert app is not None and named is not None and app.id == named.id
    assert app.scopes == ("api", "web") and app.callback_urls == ("http://localhost/soap-unused",)
    assert app.permitted_users == PERMITTED_ADMIN_APPROVED and not app.user_agent_flow_enabled


# --- logout --------------------------------------------------------------------------------------


def test_when_logout_then_the_session_is_revoked(server: Server, soap_on: OrgSettings) -> None:
    user, _ = _user(server)
    session_id = soap_text(_result(_post(server, jsforce_login(user.username, PASSWORD))), "p:sessionId")
    assert session_id is not None and _userinfo(server, session_id).status_code == 200
    response = _post(server, logout_envelope(session_id))
    assert response.status_code == 200, response.text
    assert parse_soap(response).find("soapenv:Body/p:logoutResponse", NS) is not None
    assert _userinfo(server, session_id).status_code == 401
    again = _post(server, logout_envelope(session_id))
    _assert_api_fault(
        again, "INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session"
    )


def test_when_logout_has_no_session_header_then_invalid_session_fault(server: Server) -> None:
    body = f'<se:Envelope xmlns:se="{ENV}"><se:Body><logout xmlns="{PARTNER}"/></se:Body></se:Envelope>'
    _assert_api_fault(
        _post(server, body),
        "INVALID_SESSION_ID",
        "Invalid Session ID found in SessionHeader: Illegal Session",
    )


# --- requests the endpoint refuses -------------------------------------------------------------


@pytest.mark.parametrize("version", ["30.0", "67.0", "abc", "59"])
def test_when_version_not_served_then_unsupported_api_version_fault(server: Server, version: str) -> None:
    response = _post(server, jsforce_login("a@example.com", PASSWORD), version=version)
    _assert_api_fault(response, "UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL")


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not xml at all",
        "<se:Envelope xmlns:se='http://schemas.xmlsoap.org/soap/envelope/'><se:Body>",
        "<login><username>a</username></login>",
        f"<se:Envelope xmlns:se='{ENV}'><se:Header/></se:Envelope>",
        f"<se:Envelope xmlns:se='{ENV}'><se:Body/></se:Envelope>",
        "<e:Envelope xmlns:e='http://www.w3.org/2003/05/soap-envelope'><e:Body><login/></e:Body></e:Envelope>",
        b"\xff\xfe<\x00x\x00",
    ],
)
def test_when_envelope_malformed_then_client_fault(server: Server, body: str | bytes) -> None:
    fault = soap_fault(_post(server, body))
    assert soap_text(fault, "faultcode") in ("soapenv:Client", "soapenv:VersionMismatch")
    assert soap_text(fault, "faultstring")


def test_when_envelope_has_an_external_entity_then_refused_unread(
    server: Server, soap_on: OrgSettings
) -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<se:Envelope xmlns:se="{ENV}"><se:Body><login xmlns="{PARTNER}">'
        "<username>&x;</username><password>x</password></login></se:Body></se:Envelope>"
    )
    response = _post(server, xxe)
    fault = soap_fault(response)
    assert soap_text(fault, "faultcode") == "soapenv:Client"
    assert soap_text(fault, "faultstring") == "DOCTYPE is not allowed in a SOAP message"
    assert "root:" not in response.text


def test_when_envelope_is_an_entity_bomb_then_refused_at_once(server: Server) -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE e [{entities}]>'
        f'<se:Envelope xmlns:se="{ENV}"><se:Body><login xmlns="{PARTNER}">'
        "<username>&a9;</username></login></se:Body></se:Envelope>"
    )
    started = time.monotonic()
    fault = soap_fault(_post(server, bomb))
    assert time.monotonic() - started < 5
    assert soap_text(fault, "faultstring") == "DOCTYPE is not allowed in a SOAP message"


def test_when_operation_unknown_then_client_fault(server: Server) -> None:
    body = f'<se:Envelope xmlns:se="{ENV}"><se:Body><query xmlns="{PARTNER}"/></se:Body></se:Envelope>'
    fault = soap_fault(_post(server, body))
    assert soap_text(fault, "faultcode") == "soapenv:Client"
    assert soap_text(fault, "faultstring") == (
        f"No operation available for request {{{PARTNER}}}query, please check the WSDL for the service."
    )


def test_when_content_type_is_not_xml_then_415_fault(server: Server) -> None:
    response = _post(server, jsforce_login("a@example.com", PASSWORD), headers={"Content-Type": "text/plain"})
    assert soap_text(soap_fault(response, 415), "faultcode") == "soapenv:Client"


@pytest.mark.parametrize("chunked", [False, True])
def test_when_body_too_large_then_413_fault(server: Server, chunked: bool) -> None:
    envelope = jsforce_login("a@example.com", "x" * 20_000).encode()
    body: bytes | Iterator[bytes] = iter([envelope[:8000], envelope[8000:]]) if chunked else envelope
    assert soap_text(soap_fault(_post(server, body), 413), "faultstring") == "Request body too large"


# --- a real client -------------------------------------------------------------------------------


def test_when_simple_salesforce_logs_in_then_it_gets_the_session_and_instance(
    server: Server, org_settings: OrgSettings
) -> None:
    from simple_salesforce import exceptions, login

    org_settings(allow_soap_login=True, trusted_ip_ranges=[])
    user, token = _user(server)
    # scratch_url is simple-salesforce's one way to a plain-http login host.
    session_id, instance = login.SalesforceLogin(
        username=user.username, password=PASSWORD, security_token=token, scratch_url=server.url
    )
    assert instance == urlsplit(server.url).netloc
    assert _userinfo(server, session_id).json()["user_id"] == user.id
    with pytest.raises(exceptions.SalesforceAuthenticationFailed) as failed:
        login.SalesforceLogin(
            username=user.username, password="Wrong-pass1", security_token=token, scratch_url=server.url
        )
    assert failed.value.code == "INVALID_LOGIN" and failed.value.auth_message == INVALID_LOGIN


def test_when_user_lacks_api_enabled_then_api_disabled_fault(server: Server, soap_on: OrgSettings) -> None:
    with server.ctx.db.write() as conn:
        user, token = users.create_user(
            server.ctx,
            conn,
            server.org_id,
            username=f"soap-min-{secrets.token_hex(4)}@example.com",
            password=PASSWORD,
            profile="Minimum Access",
            actor=FIXTURE,
        )

    response = _post(server, jsforce_login(user.username, PASSWORD + token))

    _assert_api_fault(response, "API_DISABLED_FOR_ORG", "API is not enabled for this Organization or Partner")
    assert [r["status"] for r in _soap_history(server, user)] == ["Failed: API Disabled"]

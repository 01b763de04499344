"""No token without its login-history row: a grant's tokens and its success row commit together.

For every grant of the token endpoint, the User-Agent flow (tokens issued at the authorize endpoint)
and SOAP ``login()``, the database itself refuses the success row — a trigger on ``login_history``
that raises for this test's user once a token of theirs exists in the transaction, on SQLite and on
PostgreSQL — and the test shows that no token was issued: no access or refresh token row, no grant,
and the client gets Salesforce's generic 500 (``UNKNOWN_EXCEPTION``), never a token nor a traceback.
The same scenarios without the trigger show the token and its success row committed together.

The trigger fires only for success rows written after a token of the user is in the database (the
rows that record a token); the login page's own row for the browser login comes before any token, so
it passes, and other tests' users are untouched.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from forcegate.domain import User
from forcegate.org.access import org_view, update_org
from forcegate.storage import repositories as repo
from forcegate.storage import schema
from tests.support.actors import FIXTURE
from tests.support.browser import authorize
from tests.support.client_helpers import approve_device, jwt_setup
from tests.support.server import PASSWORD, Server
from tests.support.tokens import client_credentials_app, web_server_tokens

TOKEN = "/services/oauth2/token"
CALLBACK = "http://localhost:1717/OauthRedirect"
LOOPBACK = ["127.0.0.1/32", "::1/128"]
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
UNKNOWN_EXCEPTION = [
    {"message": "An unexpected error occurred. Please try again.", "errorCode": "UNKNOWN_EXCEPTION"}
]
REFUSAL = "login history refused by the test"


# --- the database refuses the success row -------------------------------------------------------------


@contextmanager
def history_refused(server: Server, user: User) -> Iterator[None]:
    """While open, inserting a success row of login history for ``user`` fails in the database, once
    an access token of theirs exists (in the same transaction or before)."""
    name = f"fg_test_refuse_history_{secrets.token_hex(4)}"
    condition = (
        f"NEW.status = 'Success' AND NEW.user_id = '{user.id}' "
        f"AND EXISTS (SELECT 1 FROM access_tokens WHERE access_tokens.user_id = NEW.user_id)"
    )
    if server.backend == "sqlite":
        create = [
            f"CREATE TRIGGER {name} BEFORE INSERT ON login_history WHEN {condition} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        ]
        drop = [f"DROP TRIGGER IF EXISTS {name}"]
    else:
        create = [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {condition} THEN RAISE EXCEPTION '{REFUSAL}'; END IF; RETURN NEW; END $$",
            f"CREATE TRIGGER {name} BEFORE INSERT ON login_history FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
        drop = [f"DROP TRIGGER IF EXISTS {name} ON login_history", f"DROP FUNCTION IF EXISTS {name}()"]
    with server.ctx.db.write() as conn:
        for statement in create:
            conn.exec_driver_sql(statement)
    try:
        yield
    finally:
        with server.ctx.db.write() as conn:
            for statement in drop:
                conn.exec_driver_sql(statement)


def issued_to(server: Server, user: User) -> dict[str, int]:
    """The user's grants, access tokens and refresh tokens, counted."""
    with server.ctx.db.read() as conn:
        return {
            table.name: int(
                conn.execute(
                    select(func.count()).select_from(table).where(table.c.user_id == user.id)
                ).scalar_one()
            )
            for table in (schema.authorizations, schema.access_tokens, schema.refresh_tokens)
        }


def successes(server: Server, user: User, flow: str) -> int:
    return sum(1 for row in server.login_history_of(user_id=user.id, flow=flow) if row["status"] == "Success")


# --- one scenario per grant: setup, then the one request that issues tokens -----------------------------


@dataclass
class Scenario:
    user: User
    flow: str
    issue: Callable[[], httpx.Response]  # the request whose answer carries the tokens
    tokens_in: Callable[[httpx.Response], bool]  # whether that answer carries a token
    # Success rows of this flow that ``issue`` writes before any token exists (the login page's).
    page_logins: int = 0


def _json_token(response: httpx.Response) -> bool:
    return "access_token" in response.text


def _post_token(server: Server, data: dict[str, str]) -> Callable[[], httpx.Response]:
    def issue() -> httpx.Response:
        with server.client() as client:
            return client.post(TOKEN, data=data)

    return issue


def authorization_code(server: Server, tmp_path: Path) -> Scenario:
    app, secret = server.create_app()
    user = server.create_user()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": "api",
    }
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
    assert outcome.response.status_code == 302, outcome.response.text
    data = {
        "grant_type": "authorization_code",
        "code": outcome.query["code"],
        "client_id": app.consumer_key,
        "client_secret": secret,
        "redirect_uri": CALLBACK,
    }
    return Scenario(user, "web_server", _post_token(server, data), _json_token)


def refresh_token(server: Server, tmp_path: Path) -> Scenario:
    app, secret = server.create_app()
    user = server.create_user()
    first = web_server_tokens(server, app, secret, user)
    data = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": app.consumer_key,
        "client_secret": secret,
    }
    return Scenario(user, "refresh_token", _post_token(server, data), _json_token)


def jwt_bearer(server: Server, tmp_path: Path) -> Scenario:
    setup = jwt_setup(server, tmp_path)
    key = RSAKey.import_key(setup.key_file.read_bytes())
    claims = {
        "iss": setup.app.consumer_key,
        "sub": setup.user.username,
        "aud": server.url,
        "exp": int(time.time()) + 120,
    }
    assertion = jwt.encode({"alg": "RS256"}, claims, key, algorithms=["RS256"])
    data = {"grant_type": JWT_BEARER, "assertion": assertion}
    return Scenario(setup.user, "jwt_bearer", _post_token(server, data), _json_token)


def client_credentials(server: Server, tmp_path: Path) -> Scenario:
    app, secret, user = client_credentials_app(server)
    data = {"grant_type": "client_credentials", "client_id": app.consumer_key, "client_secret": secret}
    return Scenario(user, "client_credentials", _post_token(server, data), _json_token)


def password(server: Server, tmp_path: Path) -> Scenario:
    app, secret = server.create_app()
    user = server.create_user()
    data = {
        "grant_type": "password",
        "client_id": app.consumer_key,
        "client_secret": secret,
        "username": user.username,
        "password": PASSWORD,
    }
    return Scenario(user, "username_password", _post_token(server, data), _json_token)


def device(server: Server, tmp_path: Path) -> Scenario:
    app, _ = server.create_app(device_flow_enabled=True)
    user = server.create_user()
    with server.client() as client:
        started = client.post(TOKEN, data={"response_type": "device_code", "client_id": app.consumer_key})
    assert started.status_code == 200, started.text
    approve_device(server, user, started.json()["user_code"])
    data = {"grant_type": "device", "client_id": app.consumer_key, "code": started.json()["device_code"]}
    return Scenario(user, "device", _post_token(server, data), _json_token)


def user_agent(server: Server, tmp_path: Path) -> Scenario:
    """response_type=token: the login page, consent, then tokens in the redirect's fragment."""
    app, _ = server.create_app()
    user = server.create_user()
    params = {
        "response_type": "token",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": "api",
    }

    def issue() -> httpx.Response:
        with server.client() as browser:
            return authorize(browser, params, user.username, PASSWORD).response

    def tokens_in(response: httpx.Response) -> bool:
        return "access_token" in response.headers.get("location", "") or "access_token" in response.text

    # The login page records the browser login (flow user_agent) before any token exists.
    return Scenario(user, "user_agent", issue, tokens_in, page_logins=1)


def soap_login(server: Server, tmp_path: Path) -> Scenario:
    user = server.create_user()
    envelope = (
        '<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body>'
        f'<login xmlns="urn:partner.soap.sforce.com"><username>{escape(user.username)}</username>'
        f"<password>{escape(PASSWORD)}</password></login></se:Body></se:Envelope>"
    )

    def issue() -> httpx.Response:
        with server.client() as client:
            return client.post(
                "/services/Soap/u/59.0",
                content=envelope.encode(),
                headers={"Content-Type": "text/xml", "SOAPAction": '""'},
            )

    return Scenario(user, "soap", issue, lambda response: "<sessionId>" in response.text)


SCENARIOS = {
    "authorization_code": authorization_code,
    "refresh_token": refresh_token,
    "jwt_bearer": jwt_bearer,
    "client_credentials": client_credentials,
    "password": password,
    "device": device,
    "user_agent": user_agent,
    "soap_login": soap_login,
}


@pytest.fixture
def open_org(server: Server) -> Iterator[None]:
    """The username-password flow and SOAP login allowed from loopback, restored afterwards."""
    with server.ctx.db.read() as conn:
        original = repo.org_by_id(conn, server.org_id)
    assert original is not None

    def change(**settings: Any) -> None:
        with server.ctx.db.write() as conn:
            org = repo.org_by_id(conn, server.org_id)
            assert org is not None
            update_org(server.ctx, conn, org, settings, actor=FIXTURE)

    change(allow_username_password_flows=True, allow_soap_login=True, trusted_ip_ranges=LOOPBACK)
    try:
        yield
    finally:
        saved = org_view(original)
        change(
            **{
                k: saved[k]
                for k in ("allow_username_password_flows", "allow_soap_login", "trusted_ip_ranges")
            }
        )


# --- the tests --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grant", list(SCENARIOS))
def test_when_the_success_row_cannot_be_written_then_no_token_is_issued(
    server: Server, tmp_path: Path, open_org: None, grant: str
) -> None:
    scenario = SCENARIOS[grant](server, tmp_path)
    before = issued_to(server, scenario.user)
    rows_before = successes(server, scenario.user, scenario.flow)
    with history_refused(server, scenario.user):
        response = scenario.issue()
    # Salesforce's generic 500, the same on every endpoint: no token, no traceback.
    assert response.status_code == 500, response.text
    assert not scenario.tokens_in(response)
    assert "Traceback" not in response.text and REFUSAL not in response.text
    if grant != "soap_login":  # SOAP answers its own fault envelope (SOAP 1.1 §6.2: 500)
        assert response.json() == UNKNOWN_EXCEPTION
    # Nothing the grant wrote survived: no grant, no access token, no refresh token, no success row.
    assert issued_to(server, scenario.user) == before
    assert successes(server, scenario.user, scenario.flow) == rows_before + scenario.page_logins


@pytest.mark.parametrize("grant", list(SCENARIOS))
def test_when_a_grant_succeeds_then_its_tokens_and_success_row_commit_together(
    server: Server, tmp_path: Path, open_org: None, grant: str
) -> None:
    scenario = SCENARIOS[grant](server, tmp_path)
    before = issued_to(server, scenario.user)
    rows_before = successes(server, scenario.user, scenario.flow)
    response = scenario.issue()
    assert response.status_code in (200, 302), response.text
    assert scenario.tokens_in(response)
    after = issued_to(server, scenario.user)
    assert after["access_tokens"] == before["access_tokens"] + 1
    assert successes(server, scenario.user, scenario.flow) == rows_before + scenario.page_logins + 1

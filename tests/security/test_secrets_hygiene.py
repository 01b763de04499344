"""Secrets hygiene: every flow runs against a ``forcegate serve`` at DEBUG log level (every logger:
forcegate's, uvicorn's, SQLAlchemy's statements with their parameters), on SQLite and PostgreSQL. Then
no clear token, code, secret, password or security token may appear in the log, in any error body, or
in the database (SQLite's file, WAL and shared memory as bytes; every PostgreSQL row as text). Only the
answers that hand them out carry them.

The device flow's user code is the one clear value the database keeps: the user types it to find the
pending request, it is 8 letters (~35 bits), so a stored hash would be brute-forced offline in
seconds anyway, it lives ten minutes, and knowing it only lets someone approve the request as
themselves (RFC 8628 §5.1-5.2 protects it by its short life and by rate limits, not secrecy at rest).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import text

from forcegate.org import connected_apps, users
from forcegate.org.access import update_org
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.browser import authorize, submit
from tests.support.jwt_bearer import key_pair, sign
from tests.support.server_process import Deployment, ServerProcess, database_url
from tests.support.soap import jsforce_login
from tests.support.tokens import CALLBACK

TOKEN = "/services/oauth2/token"
ADMIN = "/admin/api/v1"
SOAP_SESSION_ID = re.compile(r"<sessionId>([^<]+)</sessionId>")


@dataclass
class Secrets:
    """Every clear secret the run handed out or sent, by what it is; every error body seen; and every
    answer that carried a secret it did not hand out (one the client already had: an echo)."""

    values: dict[str, str] = field(default_factory=dict)
    error_bodies: list[str] = field(default_factory=list)
    echoes: list[tuple[str, list[str]]] = field(default_factory=list)

    def keep(self, label: str, value: Any) -> str:
        assert isinstance(value, str) and len(value) >= 8, (label, value)
        self.values[f"{label} #{len(self.values)}"] = value
        return value

    def tokens(self, label: str, body: dict[str, Any]) -> dict[str, Any]:
        """A token response (JSON or fragment): keep every secret in it."""
        for name in ("access_token", "refresh_token", "id_token"):
            if name in body:
                self.keep(f"{label} {name}", body[name])
        return body

    def note(self, response: httpx.Response) -> None:
        """Every answer: a secret is kept only once its answer is read, so any secret known by now that
        appears in this body or its redirect was sent back, not handed out. (The device pages show the
        user code the user typed.)"""
        response.read()
        if response.status_code >= 400 or "<faultcode>" in response.text:
            self.error_bodies.append(response.text)
        shown = response.content + response.headers.get("location", "").encode()
        typed = ("user code",) if response.request.url.path == "/setup/connect" else ()
        echoed = self.found_in(shown, except_labels=typed)
        if echoed:
            self.echoes.append((f"{response.request.method} {response.request.url.path}", echoed))

    def found_in(self, haystack: bytes, *, except_labels: tuple[str, ...] = ()) -> list[str]:
        return [
            label
            for label, value in self.values.items()
            if not label.startswith(except_labels) and value.encode() in haystack
        ]


@pytest.fixture(params=["sqlite", "postgresql"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    for url in database_url(request.param, tmp_path):
        d = Deployment.create(url, tmp_path, request.param)
        try:
            yield d
        finally:
            d.close()


@pytest.fixture
def debug_server(deployment: Deployment) -> Iterator[ServerProcess]:
    process = deployment.start(deployment.home / "server.log", log_level="debug", sql=True)
    try:
        yield process
    finally:
        process.stop()


def _fragment(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


def _database_contents(deployment: Deployment) -> bytes:
    """SQLite: the database file, its WAL and shared memory, as bytes. PostgreSQL: every row of every
    table as text."""
    if deployment.backend == "sqlite":
        db = Path(deployment.settings.database_url.removeprefix("sqlite:///"))
        files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    dumped = []
    with deployment.ctx.db.read() as conn:
        tables = conn.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        ).scalars()
        for table in list(tables):
            dumped += conn.execute(text(f'SELECT t::text FROM "{table}" t')).scalars().all()
    return "\n".join(dumped).encode()


def test_when_every_flow_runs_at_debug_level_then_no_secret_is_logged_echoed_or_stored_in_clear(
    deployment: Deployment, debug_server: ServerProcess
) -> None:
    server = debug_server.server
    ctx = server.ctx
    kept = Secrets()

    def client(**options: Any) -> httpx.Client:
        return httpx.Client(base_url=server.url, timeout=30, event_hooks={"response": [kept.note]}, **options)

    # Set-up through the database: an administrator, and an app whose client credentials act as them.
    admin_password = kept.keep("password", f"Admin-7{secrets.token_hex(8)}")
    with ctx.db.write() as conn:
        admin, admin_security_token = users.create_user(
            ctx,
            conn,
            server.org_id,
            username=f"admin-{secrets.token_hex(4)}@example.com",
            password=admin_password,
            profile="System Administrator",
            first_name="Ada",
            last_name="Admin",
            actor=FIXTURE,
        )
        kept.keep("security token", admin_security_token)
        admin_app, admin_secret = connected_apps.create_app(
            ctx,
            conn,
            server.org_id,
            name="hygiene-admin",
            callback_urls=[CALLBACK],
            scopes="api",
            client_credentials_enabled=True,
            client_credentials_user=admin.username,
            actor=FIXTURE,
        )
        kept.keep("consumer secret", admin_secret)
        org = repo.org_by_id(conn, server.org_id)
        assert org is not None
        update_org(
            ctx, conn, org, {"allow_username_password_flows": True, "allow_soap_login": True}, actor=FIXTURE
        )

    with client() as http:
        # Client credentials: the admin API's token.
        form = {"grant_type": "client_credentials", "client_id": admin_app.consumer_key}
        response = http.post(TOKEN, data={**form, "client_secret": admin_secret})
        admin_token = kept.tokens("client credentials", response.json())["access_token"]
        admin_api = {"Authorization": f"Bearer {admin_token}"}

        # Admin API: a user (with their security token) and an app (with its consumer secret).
        password = kept.keep("password", f"User-7{secrets.token_hex(8)}")
        response = http.post(
            f"{ADMIN}/users",
            json={
                "username": f"u-{secrets.token_hex(4)}@example.com",
                "password": password,
                "last_name": "U",
            },
            headers=admin_api,
        )
        assert response.status_code == 201, response.text
        user = response.json()
        username = user["username"]
        security_token = kept.keep("security token", user["security_token"])
        keys = key_pair()
        response = http.post(
            f"{ADMIN}/connected-apps",
            json={
                "name": "hygiene-app",
                "callback_urls": [CALLBACK],
                "scopes": "api refresh_token openid",
                "refresh_token_rotation": True,
                "device_flow_enabled": True,
                "certificate_pem": keys.certificate_pem,
            },
            headers=admin_api,
        )
        assert response.status_code == 201, response.text
        app = response.json()
        client_id = app["consumer_key"]
        secret = kept.keep("consumer secret", app["consumer_secret"])

    with client() as browser:
        # Web Server flow with PKCE, with the browser session it leaves.
        verifier = kept.keep("code verifier", secrets.token_urlsafe(64))
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "scope": "api refresh_token openid",
            "code_challenge": create_s256_code_challenge(verifier),
            "nonce": "n-0S6_WzA2Mj",
        }
        outcome = authorize(browser, params, username, password)
        code = kept.keep("authorization code", outcome.query["code"])
        for name, value in browser.cookies.items():
            kept.keep(f"cookie {name}", value)
        exchange = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        }
        web = kept.tokens("web server", browser.post(TOKEN, data=exchange).json())
        replay = browser.post(TOKEN, data=exchange)  # a code used twice: refused, its grant revoked
        assert replay.status_code == 400
        # A second grant for the refresh and revocation below.
        outcome = authorize(browser, params, None, None)
        exchange["code"] = kept.keep("authorization code", outcome.query["code"])
        web = kept.tokens("web server", browser.post(TOKEN, data=exchange).json())

        # User-Agent flow: tokens in the fragment.
        outcome = authorize(browser, {**params, "response_type": "token", "code_challenge": ""}, None, None)
        kept.tokens("user agent", _fragment(outcome.location))

    with client() as http:
        refresh = {"grant_type": "refresh_token", "client_id": client_id, "client_secret": secret}
        # Refresh with rotation, twice; then a retired token comes back (reuse: the family is revoked).
        first = kept.tokens(
            "refresh", http.post(TOKEN, data={**refresh, "refresh_token": web["refresh_token"]}).json()
        )
        second = kept.tokens(
            "refresh", http.post(TOKEN, data={**refresh, "refresh_token": first["refresh_token"]}).json()
        )
        assert http.post(TOKEN, data={**refresh, "refresh_token": first["refresh_token"]}).status_code == 400
        assert http.post(TOKEN, data={**refresh, "refresh_token": second["refresh_token"]}).status_code == 400

        # JWT bearer (the user approved the app above).
        assertion = kept.keep(
            "jwt assertion",
            sign({"iss": client_id, "sub": username, "aud": server.url, "exp": _now() + 120}, keys.private),
        )
        jwt_grant = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
        jwt_token = kept.tokens("jwt bearer", http.post(TOKEN, data=jwt_grant).json())
        assert http.post(TOKEN, data=jwt_grant).status_code in (200, 400)

        # Device flow: start, the user approves on /setup/connect, the device collects its tokens.
        started = http.post(TOKEN, data={"response_type": "device_code", "client_id": client_id}).json()
        device_code = kept.keep("device code", started["device_code"])
        user_code = kept.keep("user code", started["user_code"])
        poll = {"grant_type": "device", "client_id": client_id, "code": device_code}
        assert http.post(TOKEN, data=poll).status_code == 400  # authorization pending
        # RFC 8628's dialect too: a second request, left pending.
        rfc = http.post("/services/oauth2/device/authorize", data={"client_id": client_id}).json()
        kept.keep("device code", rfc["device_code"])
        kept.keep("user code", rfc["user_code"])
        rfc_poll = {
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": rfc["device_code"],
        }
        assert http.post(TOKEN, data={**rfc_poll, "client_id": client_id}).status_code == 400
    with client() as browser:
        page = browser.get("/setup/connect")
        page = submit(browser, page, username=username, password=password)
        for name, value in browser.cookies.items():
            kept.keep(f"cookie {name}", value)
        wrong = submit(browser, page, user_code="BCDFGHJK")  # a wrong code first
        page = submit(browser, wrong, user_code=user_code)
        submit(browser, page, decision="allow")
    with client() as http:
        device = kept.tokens("device", http.post(TOKEN, data=poll).json())

        # Username-password flow: password followed by the security token.
        password_grant = {
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": secret,
            "username": username,
        }
        kept.tokens(
            "password",
            http.post(TOKEN, data={**password_grant, "password": password + security_token}).json(),
        )
        # Refused: the password alone (no trusted IP), and a wrong security token.
        assert http.post(TOKEN, data={**password_grant, "password": password}).status_code == 400
        assert http.post(TOKEN, data={**password_grant, "password": password + "X" * 24}).status_code == 400

        # SOAP login(): the session id is an access token.
        soap_headers = {"Content-Type": "text/xml", "SOAPAction": '""'}
        response = http.post(
            "/services/Soap/u/59.0",
            content=jsforce_login(username, password + security_token),
            headers=soap_headers,
        )
        session_id = SOAP_SESSION_ID.search(response.text)
        assert session_id, response.text
        kept.keep("soap session id", session_id.group(1))
        assert http.post(
            "/services/Soap/u/59.0", content=jsforce_login(username, password), headers=soap_headers
        ).text.count("INVALID_LOGIN")

        # Secrets in query strings, which clients send and the access log must not print: a token
        # request, the identity URL with ?oauth_token= (jsforce), revocation by GET; then SOAP logout.
        query = {**password_grant, "password": password + security_token}
        kept.tokens("password in query", http.post(TOKEN, params=query).json())
        soap_token = session_id.group(1)
        identity = http.get(web["id"], params={"oauth_token": soap_token})
        assert identity.status_code == 200, identity.text
        logout = (
            f'<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header>'
            f'<SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>{soap_token}</sessionId>'
            '</SessionHeader></se:Header><se:Body><logout xmlns="urn:partner.soap.sforce.com"/>'
            "</se:Body></se:Envelope>"
        )
        assert http.post("/services/Soap/u/59.0", content=logout, headers=soap_headers).status_code == 200
        assert http.get("/services/oauth2/revoke", params={"token": soap_token}).status_code in (200, 400)

        # userinfo, introspection (by the app, and by an app that may not look), revocation.
        for token in (device["access_token"], jwt_token["access_token"]):
            assert (
                http.get(
                    "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"}
                ).status_code
                == 200
            )
        introspect = {"token": device["access_token"], "client_id": client_id, "client_secret": secret}
        assert http.post("/services/oauth2/introspect", data=introspect).json()["active"] is True
        http.post("/services/oauth2/introspect", data={**introspect, "client_secret": admin_secret})
        assert (
            http.post("/services/oauth2/revoke", data={"token": device["refresh_token"]}).status_code == 200
        )
        assert (
            http.get(
                "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {device['access_token']}"}
            ).status_code
            == 401
        )
        http.post("/services/oauth2/revoke", data={"token": device["refresh_token"]})  # already revoked
        # Secrets sent where they do not belong: refused without being echoed.
        http.post(
            TOKEN, data={**refresh, "client_secret": admin_secret, "refresh_token": device["refresh_token"]}
        )
        http.post(
            TOKEN, data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        )
        http.get(f"/services/data/v62.0/sobjects/Account?access_token={device['access_token']}")
        http.get("/services/data/v62.0/sobjects", headers={"Authorization": f"Bearer {secret}"})

        # Admin API: a password reset, a consumer secret rotation (the new secret works).
        new_password = kept.keep("password", f"Reset-7{secrets.token_hex(8)}")
        response = http.patch(f"{ADMIN}/users/{username}", json={"password": new_password}, headers=admin_api)
        assert response.status_code == 200, response.text
        if response.json().get("security_token"):  # Salesforce resets it with the password
            security_token = kept.keep("security token", response.json()["security_token"])
        response = http.post(f"{ADMIN}/connected-apps/{client_id}/rotate-secret", headers=admin_api)
        assert response.status_code == 200, response.text
        new_secret = kept.keep("consumer secret", response.json()["consumer_secret"])
    with client() as browser:
        # The new password logs in on the page (no security token there); the new secret exchanges.
        outcome = authorize(browser, {**params, "prompt": "login"}, username, new_password)
        exchange.update(code=kept.keep("authorization code", outcome.query["code"]), client_secret=new_secret)
        response = browser.post(TOKEN, data=exchange)
        assert response.status_code == 200, response.text
        kept.tokens("after reset", response.json())

    debug_server.stop()
    log = (deployment.home / "server.log").read_bytes()
    assert b"DEBUG" in log and b"SELECT" in log  # the log level took: statements were printed
    assert len(kept.values) >= 30 and len(kept.error_bodies) >= 8
    assert kept.found_in(log, except_labels=("user code",)) == []
    # The user code is stored as typed, so SQLAlchemy's statement parameters and rows show it; no other
    # log record may.
    records = re.split(rb"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} )", log)
    not_sql = b"\n".join(r for r in records if not re.match(rb"\S+ \S+ \w+ sqlalchemy\.engine\.", r))
    assert kept.found_in(not_sql) == []
    assert kept.found_in("\n".join(kept.error_bodies).encode()) == []
    assert kept.echoes == []
    database = _database_contents(deployment)
    assert username.encode() in database  # the read found the rows
    assert kept.found_in(database, except_labels=("user code",)) == []


def _now() -> int:
    import time

    return int(time.time())

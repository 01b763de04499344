"""Security promises of the docs that a mutation pass found no test for: each test here fails when
its rule is weakened (the mutant named in its docstring), over real HTTP where there is a wire.

- a consumer secret authenticates only when it is the whole secret, on every client-authentication
  path (token, revoke and introspection endpoints; form body and HTTP Basic);
- a refresh token retired by rotation is kept 30 days, so reuse still revokes the family after
  housekeeping ran;
- ``forcegate server-key reencrypt`` re-encrypts every consumer secret, old ones of a staged rotation
  included, so the old server key can go;
- revoking the tokens of a user or an app also refuses device requests not yet collected;
- a JWT bearer assertion's ``exp`` has 30 s of leeway, not more;
- tokens, codes, sessions and security tokens are stored as their SHA-256, passwords as argon2id.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import Table, select

from forcegate import housekeeping
from forcegate.domain import ConnectedApp, User
from forcegate.org import credentials, users
from forcegate.secrets_box import token_hash
from forcegate.storage import schema
from tests.support.actors import FIXTURE
from tests.support.browser import authorize
from tests.support.client_helpers import approve_device, jwt_setup
from tests.support.server import BACKENDS, PASSWORD, Server, _postgres_database, make_settings, start_server
from tests.support.tokens import (
    CALLBACK,
    assert_invalid_session,
    assert_refresh_refused,
    assert_works,
    client_credentials_app,
    client_credentials_token,
    refresh,
    web_server_tokens,
)

TOKEN = "/services/oauth2/token"
REVOKE = "/services/oauth2/revoke"
INTROSPECT = "/services/oauth2/introspect"
INVALID_CLIENT = {"error": "invalid_client", "error_description": "invalid client credentials"}
FORCEGATE = Path(sys.executable).parent / "forcegate"
DAY = 24 * 3600


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _row(server: Server, table: Table, **match: object) -> dict[str, Any]:
    query = select(table)
    for column, value in match.items():
        query = query.where(table.c[column] == value)
    with server.ctx.db.read() as conn:
        [row] = conn.execute(query).mappings().all()
    return dict(row)


def _signature(secret: str, body: dict[str, Any]) -> str:
    digest = hmac.new(secret.encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def _database(backend: str, tmp: Path) -> Iterator[str]:
    """A database of its own (housekeeping and key changes must not touch the shared server's)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'own.db'}"
    else:
        yield from _postgres_database()


@contextlib.contextmanager
def _serving(url: str, tmp: Path, backend: str, **settings: object) -> Iterator[Server]:
    yield from start_server(make_settings(url, tmp, **settings), backend)


# --- the consumer secret: all of it, on every path -----------------------------------------------


def _wrong_secrets(secret: str) -> dict[str, str]:
    """Secrets a comparison of only some characters, or of only the length, would let through."""
    flip = {"a": "b"}.get(secret[-1], "a")
    return {
        "first character": secret[:1],
        "all but the last character": secret[:-1],
        "one character more": secret + "0",
        "last character off": secret[:-1] + flip,
        "first character off": {"a": "b"}.get(secret[0], "a") + secret[1:],
        "same length, other characters": "0" * len(secret),
    }


def _token_request(server: Server, app: ConnectedApp, secret: str, *, basic: bool) -> httpx.Response:
    data = {"grant_type": "client_credentials"}
    with server.client() as client:
        if basic:
            return client.post(TOKEN, data=data, headers=_basic(app.consumer_key, secret))
        return client.post(TOKEN, data={**data, "client_id": app.consumer_key, "client_secret": secret})


def _management_request(
    server: Server, path: str, app: ConnectedApp, secret: str, token: str, *, basic: bool
) -> httpx.Response:
    with server.client() as client:
        if basic:
            return client.post(path, data={"token": token}, headers=_basic(app.consumer_key, secret))
        return client.post(
            path, data={"token": token, "client_id": app.consumer_key, "client_secret": secret}
        )


@pytest.mark.parametrize("basic", [False, True], ids=["body", "basic"])
def test_when_secret_is_not_exactly_the_secret_then_the_token_endpoint_refuses(
    server: Server, basic: bool
) -> None:
    """Mutant: the secret compared against only its first characters (or only its length)."""
    app, secret, _user = client_credentials_app(server)
    with server.ctx.db.write() as conn:
        app, new_secret = credentials.rotate_secret(server.ctx, conn, app, actor=FIXTURE)

    for held in (secret, new_secret):  # the staged rotation's old secret and the new one
        for what, wrong in _wrong_secrets(held).items():
            response = _token_request(server, app, wrong, basic=basic)
            assert response.status_code == 400, what
            assert response.json() == INVALID_CLIENT, what
        accepted = _token_request(server, app, held, basic=basic)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["signature"] == _signature(held, accepted.json())


@pytest.mark.parametrize("basic", [False, True], ids=["body", "basic"])
@pytest.mark.parametrize("path", [REVOKE, INTROSPECT], ids=["revoke", "introspect"])
def test_when_secret_is_not_exactly_the_secret_then_revoke_and_introspect_refuse(
    server: Server, path: str, basic: bool
) -> None:
    """Mutant: the secret compared against only its first characters (or only its length)."""
    app, secret, _user = client_credentials_app(server)
    token = client_credentials_token(server, app, secret)

    for what, wrong in _wrong_secrets(secret).items():
        response = _management_request(server, path, app, wrong, token, basic=basic)
        assert response.status_code == 400, what
        assert response.json() == INVALID_CLIENT, what
    assert_works(server, token)  # no refused revocation revoked it

    accepted = _management_request(server, path, app, secret, token, basic=basic)
    assert accepted.status_code == 200, accepted.text
    if path == INTROSPECT:
        assert accepted.json()["active"] is True
    else:
        assert_invalid_session(server, token)
    refusals = [r for r in server.login_history_of(app_id=app.id) if r["status"] != "Success"]
    assert len(refusals) == len(_wrong_secrets(secret))
    assert {(r["status"], r["username"]) for r in refusals} == {("Failed: Invalid Client Credentials", "")}


def test_when_revoke_names_its_client_without_a_secret_then_revoked_as_public_clients_send_it(
    server: Server,
) -> None:
    """A named client is authenticated only if a secret comes with it (RFC 7009 §2.1 public clients):
    without one, the token is revoked when it is that client's, and refused when it is another's."""
    app, secret, _user = client_credentials_app(server)
    other, _other_secret, _ = client_credentials_app(server)
    token = client_credentials_token(server, app, secret)
    with server.client() as client:
        foreign = client.post(REVOKE, data={"token": token, "client_id": other.consumer_key})
        own = client.post(REVOKE, data={"token": token, "client_id": app.consumer_key})
    assert foreign.status_code == 400
    assert foreign.json() == {"error": "invalid_token", "error_description": "invalid token"}
    assert own.status_code == 200, own.text
    assert_invalid_session(server, token)


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"token": "x", "token_type_hint": "id_token"}, "unknown token_type_hint"),
        ({}, "token missing or too long"),
        ({"token": "never-issued"}, "unknown token"),
        ({"token": "x" * 4096}, "unknown token"),  # as long as a token may be: looked up
        ({"token": "x" * 4097}, "token missing or too long"),  # longer: dropped by the parser
    ],
)
def test_when_revocation_is_refused_then_the_log_says_why_and_the_wire_does_not(
    server: Server, caplog: pytest.LogCaptureFixture, form: dict[str, str], reason: str
) -> None:
    caplog.set_level(logging.INFO, logger="forcegate.token")
    with server.client() as client:
        response = client.post(REVOKE, data=form)
    assert response.status_code == 400
    assert reason not in response.text
    assert any(r.getMessage().endswith(" " + reason) for r in caplog.records if r.name == "forcegate.token")


def test_when_a_live_looking_token_cannot_be_revoked_then_the_log_says_why(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """Another client's, already revoked, expired: one answer on the wire, three reasons in the log."""
    caplog.set_level(logging.INFO, logger="forcegate.token")
    app, secret, _user = client_credentials_app(server, access_token_lifetime_seconds=60)
    other, _other_secret, _ = client_credentials_app(server)
    foreign, revoked, expired = (client_credentials_token(server, app, secret) for _ in range(3))
    with server.client() as client:
        assert client.post(REVOKE, data={"token": revoked}).status_code == 200
        answers = [
            client.post(REVOKE, data={"token": foreign, "client_id": other.consumer_key}),
            client.post(REVOKE, data={"token": revoked}),
        ]
        server.clock.advance(61)
        answers.append(client.post(REVOKE, data={"token": expired}))

    assert [(a.status_code, a.json()["error"]) for a in answers] == [(400, "invalid_token")] * 3
    reasons = [r.getMessage() for r in caplog.records if r.name == "forcegate.token"]
    assert reasons == [
        "revocation refused: invalid_token token of another client",
        "revocation refused: invalid_token token already revoked",
        "revocation refused: invalid_token access token expired",
    ]


def test_when_a_refresh_token_is_revoked_then_the_log_names_its_authorization_never_the_token(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="forcegate.flows")
    app, secret = server.create_app()
    tokens = web_server_tokens(server, app, secret, server.create_user())
    family = _row(server, schema.refresh_tokens, token_hash=_sha256(tokens["refresh_token"]))[
        "authorization_id"
    ]
    with server.client() as client:
        assert client.post(REVOKE, data={"token": tokens["refresh_token"]}).status_code == 200

    logged = [r.getMessage() for r in caplog.records if r.name == "forcegate.flows"]
    assert f"refresh token revoked: authorization {family} and its tokens" in logged
    assert not any(tokens["refresh_token"] in line for line in logged)


def test_when_basic_and_body_both_authenticate_then_only_the_same_client_id_without_a_second_secret(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """RFC 6749 §2.3: one authentication method per request. Basic plus the same ``client_id`` in the
    body is one client; another ``client_id``, or a second secret, is refused."""
    caplog.set_level(logging.INFO, logger="forcegate.token")
    app, secret, _user = client_credentials_app(server)
    other, _other_secret, _ = client_credentials_app(server)
    token = client_credentials_token(server, app, secret)
    basic = _basic(app.consumer_key, secret)
    with server.client() as client:
        mismatch = client.post(
            INTROSPECT, data={"token": token, "client_id": other.consumer_key}, headers=basic
        )
        twice = client.post(INTROSPECT, data={"token": token, "client_secret": secret}, headers=basic)
        same = client.post(INTROSPECT, data={"token": token, "client_id": app.consumer_key}, headers=basic)

    assert mismatch.status_code == 400 and mismatch.json() == INVALID_CLIENT
    assert twice.status_code == 400
    assert twice.json() == {
        "error": "invalid_request",
        "error_description": "multiple client authentication methods",
    }
    assert same.status_code == 200 and same.json()["active"] is True
    with server.client() as client:
        duplicated = client.post(
            INTROSPECT,
            content=f"token={token}&token=another".encode(),
            headers={**basic, "Content-Type": "application/x-www-form-urlencoded"},
        )
    assert duplicated.status_code == 400
    assert duplicated.json() == {
        "error": "invalid_request",
        "error_description": "duplicate parameter: token",
    }
    reasons = [r.getMessage() for r in caplog.records if r.name == "forcegate.token"]
    assert "introspection refused: invalid_client client_id in body differs from HTTP Basic" in reasons


@pytest.mark.parametrize("scheme", ["Bearer ", "Bearer  ", "bearer ", "OAuth "])
def test_when_the_bearer_scheme_is_followed_by_any_spaces_then_the_token_is_read(
    server: Server, scheme: str
) -> None:
    """RFC 6750 §2.1: ``"Bearer" 1*SP b64token``; Salesforce's older ``OAuth`` scheme works too."""
    app, secret, user = client_credentials_app(server)
    token = client_credentials_token(server, app, secret)
    with server.client() as client:
        response = client.get("/services/oauth2/userinfo", headers={"Authorization": scheme + token})
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == user.id


def test_when_a_valid_token_comes_under_another_scheme_then_it_is_refused(server: Server) -> None:
    app, secret, _user = client_credentials_app(server)
    token = client_credentials_token(server, app, secret)
    with server.client() as client:
        for scheme in ("Basic ", "Token ", "Bearer", ""):
            response = client.get("/services/oauth2/userinfo", headers={"Authorization": scheme + token})
            assert response.status_code == 401, scheme


# --- retired refresh tokens: kept for reuse detection --------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def own(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("invariants")
    for url in _database(request.param, tmp):
        with _serving(url, tmp, request.param) as server:
            yield server


def test_when_housekeeping_runs_within_30_days_then_a_retired_refresh_token_still_revokes_its_family(
    own: Server,
) -> None:
    """Mutant: refresh tokens retired by rotation purged at once (or before 30 days)."""
    server = own
    app, secret = server.create_app(refresh_token_rotation=True)
    first = web_server_tokens(server, app, secret, server.create_user())
    rotated = refresh(server, app, secret, first["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    successor = rotated.json()

    housekeeping.run(server.ctx, scheduled=False)
    server.clock.advance(29 * DAY)
    housekeeping.run(server.ctx, scheduled=False)

    retired = _row(server, schema.refresh_tokens, token_hash=_sha256(first["refresh_token"]))
    assert retired["rotated_ms"] is not None and retired["revoked_ms"] is None
    reused = refresh(server, app, secret, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_grant", "error_description": "expired access/refresh token"}
    assert_refresh_refused(server, app, secret, successor["refresh_token"])  # the family is revoked

    server.clock.advance(2 * DAY)  # past 30 days the retired token goes
    housekeeping.run(server.ctx, scheduled=False)
    with server.ctx.db.read() as conn:
        left = conn.execute(
            select(schema.refresh_tokens.c.token_hash).where(
                schema.refresh_tokens.c.token_hash == _sha256(first["refresh_token"])
            )
        ).all()
    assert left == []


def test_when_a_refresh_token_rotates_then_housekeeping_keeps_the_successor_working(own: Server) -> None:
    """The purge of retired tokens never takes the live successor with it."""
    server = own
    app, secret = server.create_app(refresh_token_rotation=True)
    first = web_server_tokens(server, app, secret, server.create_user())
    successor = refresh(server, app, secret, first["refresh_token"]).json()

    server.clock.advance(31 * DAY)
    housekeeping.run(server.ctx, scheduled=False)

    again = refresh(server, app, secret, successor["refresh_token"])
    assert again.status_code == 200, again.text
    assert_works(server, again.json()["access_token"])


# --- server key rotation: every consumer secret re-encrypted ------------------------------------


def _reencrypt(database_url: str, keys: str, home: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
    env.update(FORCEGATE_HOME=str(home), FORCEGATE_SERVER_KEYS=keys, FORCEGATE_ARGON2_MEMORY_KIB="1024")
    result = subprocess.run(
        [str(FORCEGATE), "server-key", "reencrypt", "--database", database_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


@pytest.mark.parametrize("backend", BACKENDS)
def test_when_server_key_rotated_and_old_key_dropped_then_every_consumer_secret_still_works(
    backend: str, tmp_path: Path
) -> None:
    """Mutant: ``server-key reencrypt`` skipping consumer secrets, or the old secrets of a staged
    rotation."""
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    for url in _database(backend, tmp_path):
        with _serving(url, tmp_path, backend, server_keys=old_key) as before:
            plain, plain_secret, _ = client_credentials_app(before)
            staged, staged_old, _ = client_credentials_app(before)
            with before.ctx.db.write() as conn:
                staged, staged_new = credentials.rotate_secret(before.ctx, conn, staged, actor=FIXTURE)
            held = [(plain, plain_secret), (staged, staged_old), (staged, staged_new)]
            for app, secret in held:
                assert _token_request(before, app, secret, basic=False).status_code == 200

        assert _reencrypt(url, f"{new_key},{old_key}", tmp_path)["reencrypted_connected_apps"] >= 2

        with _serving(url, tmp_path, backend, server_keys=new_key) as after:
            for app, secret in held:
                response = _token_request(after, app, secret, basic=False)
                assert response.status_code == 200, response.text
                assert response.json()["signature"] == _signature(secret, response.json())
                assert _token_request(after, app, secret[:-1], basic=False).status_code == 400


# --- revoke-tokens refuses device requests not yet collected -------------------------------------


def _admin_token(server: Server) -> str:
    app, secret = server.create_app(scopes="api")
    admin = server.create_user(profile="System Administrator")
    return str(web_server_tokens(server, app, secret, admin, scope="api")["access_token"])


def _start_device(server: Server, app: ConnectedApp) -> dict[str, str]:
    with server.client() as client:
        response = client.post(TOKEN, data={"response_type": "device_code", "client_id": app.consumer_key})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _poll_device(server: Server, app: ConnectedApp, device_code: str) -> httpx.Response:
    with server.client() as client:
        return client.post(
            TOKEN, data={"grant_type": "device", "client_id": app.consumer_key, "code": device_code}
        )


def _assert_device_denied(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "access_denied", "error_description": "end-user denied authorization"}


def _revoke_tokens(server: Server, path: str) -> dict[str, int]:
    with server.client() as client:
        response = client.post(
            "/admin/api/v1" + path, headers={"Authorization": f"Bearer {_admin_token(server)}"}
        )
    assert response.status_code == 200, response.text
    return dict(response.json()["revoked"])


def test_when_a_user_s_tokens_are_revoked_then_their_approved_device_request_is_refused(
    server: Server,
) -> None:
    """Mutant: revoke-tokens by user leaving device approvals not yet collected alone."""
    app, _secret = server.create_app(device_flow_enabled=True)
    user, bystander = server.create_user(), server.create_user()
    approved, other = _start_device(server, app), _start_device(server, app)
    approve_device(server, user, approved["user_code"])
    approve_device(server, bystander, other["user_code"])

    revoked = _revoke_tokens(server, f"/users/{user.id}/revoke-tokens")

    assert revoked["device_requests"] == 1
    _assert_device_denied(_poll_device(server, app, approved["device_code"]))
    collected = _poll_device(server, app, other["device_code"])  # another user's approval stands
    assert collected.status_code == 200, collected.text


def test_when_an_app_s_tokens_are_revoked_then_its_approved_and_pending_device_requests_are_refused(
    server: Server,
) -> None:
    """Mutant: revoke-tokens by app leaving pending or approved device requests alone."""
    app, _secret = server.create_app(device_flow_enabled=True)
    untouched, _ = server.create_app(device_flow_enabled=True)
    approved, pending, elsewhere = (
        _start_device(server, app),
        _start_device(server, app),
        _start_device(server, untouched),
    )
    approve_device(server, server.create_user(), approved["user_code"])

    revoked = _revoke_tokens(server, f"/connected-apps/{app.id}/revoke-tokens")

    assert revoked["device_requests"] == 2
    _assert_device_denied(_poll_device(server, app, approved["device_code"]))
    _assert_device_denied(_poll_device(server, app, pending["device_code"]))
    waiting = _poll_device(server, untouched, elsewhere["device_code"])
    assert waiting.json()["error"] == "authorization_pending"


def _code(server: Server, app: ConnectedApp, user: User) -> str:
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": "api",
    }
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
    assert outcome.response.status_code == 302, outcome.response.text
    return str(outcome.query["code"])


def _exchange(server: Server, app: ConnectedApp, secret: str, code: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    with server.client() as client:
        return client.post(TOKEN, data={**form, "client_id": app.consumer_key, "client_secret": secret})


def test_when_a_user_is_revoked_for_one_app_then_exactly_that_pair_s_live_codes_and_devices_go(
    server: Server,
) -> None:
    """Mutants: the code and device updates of revoke-tokens losing a condition (the user, the app,
    not yet consumed, not yet expired, still waiting), or the answer's session count."""
    (app, secret), (other_app, other_secret) = (
        server.create_app(device_flow_enabled=True),
        server.create_app(device_flow_enabled=True),
    )
    user, other_user = server.create_user(), server.create_user()
    expired_code = _code(server, app, user)
    expired_device = _start_device(server, app)
    approve_device(server, user, expired_device["user_code"])
    server.clock.advance(16 * 60)  # past both lifetimes (15 and 10 minutes)
    live_code, elsewhere_code, others_code = (
        _code(server, app, user),
        _code(server, other_app, user),
        _code(server, app, other_user),
    )
    assert _exchange(server, app, secret, _code(server, app, user)).status_code == 200  # consumed
    collected, waiting, others_device = (
        _start_device(server, app),
        _start_device(server, app),
        _start_device(server, app),
    )
    for device_request, approver in ((collected, user), (waiting, user), (others_device, other_user)):
        approve_device(server, approver, device_request["user_code"])
    assert _poll_device(server, app, collected["device_code"]).status_code == 200

    with server.client() as client:
        response = client.post(
            f"/admin/api/v1/users/{user.id}/revoke-tokens",
            headers={"Authorization": f"Bearer {_admin_token(server)}"},
            json={"app": app.name},
        )
    assert response.status_code == 200, response.text
    revoked = response.json()["revoked"]

    assert revoked["authorization_codes"] == 1 and revoked["device_requests"] == 1
    assert revoked["browser_sessions"] == 0  # only revoking all of a user's grants ends their sessions
    assert _exchange(server, app, secret, live_code).json()["error"] == "invalid_grant"
    assert _exchange(server, other_app, other_secret, elsewhere_code).status_code == 200
    assert _exchange(server, app, secret, others_code).status_code == 200
    _assert_device_denied(_poll_device(server, app, waiting["device_code"]))
    reused = _poll_device(server, app, collected["device_code"])  # still "collected", not "denied"
    assert reused.json() == {"error": "invalid_grant", "error_description": "invalid device code"}
    assert _poll_device(server, app, others_device["device_code"]).status_code == 200
    assert _exchange(server, app, secret, expired_code).json()["error"] == "invalid_grant"


# --- JWT bearer: 30 s of leeway on exp, not more -------------------------------------------------


def _jwt_token(server: Server, tmp_path: Path, exp_ago_ms: int) -> httpx.Response:
    setup = jwt_setup(server, tmp_path)
    key = RSAKey.import_key(setup.key_file.read_bytes())
    claims = {
        "iss": setup.app.consumer_key,
        "sub": setup.user.username,
        "aud": server.url,
        "exp": server.clock.now_ms() - exp_ago_ms,  # milliseconds, as sfdx-core sends it
    }
    assertion = jwt.encode({"alg": "RS256"}, claims, key, algorithms=["RS256"])
    with server.client() as client:
        return client.post(
            TOKEN, data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
        )


@pytest.mark.parametrize("seconds_ago", [31, 60, 299])
def test_when_jwt_exp_passed_more_than_30_seconds_ago_then_expired(
    server: Server, tmp_path: Path, seconds_ago: int
) -> None:
    """Mutant: the exp leeway widened from 30 s (e.g. to 300 s)."""
    response = _jwt_token(server, tmp_path, seconds_ago * 1000)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "invalid_grant", "error_description": "expired authorization code"}


def test_when_jwt_exp_passed_29_seconds_ago_then_accepted(server: Server, tmp_path: Path) -> None:
    """Mutant: the leeway narrowed below 30 s (or dropped)."""
    response = _jwt_token(server, tmp_path, 29_000)
    assert response.status_code == 200, response.text


# --- at rest: hashes, never the clear value ------------------------------------------------------


def _assert_only_hash_stored(row: dict[str, Any], column: str, clear: str) -> None:
    assert row[column] == _sha256(clear)
    assert not any(clear in str(value) for value in row.values()), f"{column}: clear value stored"


def test_when_tokens_and_codes_are_issued_then_only_their_sha256_is_stored(server: Server) -> None:
    """Mutant: tokens, codes or sessions stored in clear (or under another hash)."""
    app, secret = server.create_app(device_flow_enabled=True)
    user = server.create_user()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": "api refresh_token",
    }
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
        code = outcome.query["code"]
        session = browser.cookies["fg_sid"]
        exchanged = browser.post(
            TOKEN,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": app.consumer_key,
                "client_secret": secret,
                "redirect_uri": CALLBACK,
            },
        )
    assert exchanged.status_code == 200, exchanged.text
    tokens = exchanged.json()
    device_code = _start_device(server, app)["device_code"]

    _assert_only_hash_stored(
        _row(server, schema.authorization_codes, code_hash=_sha256(code)), "code_hash", code
    )
    for name, table in (("access_token", schema.access_tokens), ("refresh_token", schema.refresh_tokens)):
        row = _row(server, table, token_hash=_sha256(tokens[name]))
        _assert_only_hash_stored(row, "token_hash", tokens[name])
    _assert_only_hash_stored(
        _row(server, schema.browser_sessions, session_hash=_sha256(session)), "session_hash", session
    )
    _assert_only_hash_stored(
        _row(server, schema.device_requests, device_code_hash=_sha256(device_code)),
        "device_code_hash",
        device_code,
    )


def test_when_a_user_is_created_then_password_is_argon2id_and_security_token_is_hashed(
    server: Server,
) -> None:
    """Mutants: passwords hashed with anything but argon2id (or stored in clear); security tokens in
    clear."""
    password = "Clear-Text-Never-Stored-1"
    with server.ctx.db.write() as conn:
        user, security_token = users.create_user(
            server.ctx,
            conn,
            server.org_id,
            username=f"at-rest-{os.urandom(4).hex()}@example.com",
            password=password,
            profile=None,
            first_name="At",
            last_name="Rest",
            actor=FIXTURE,
        )

    row = _row(server, schema.users, id=user.id)
    assert str(row["password_hash"]).startswith("$argon2id$")
    assert not any(password in str(value) for value in row.values())
    _assert_only_hash_stored(row, "security_token_hash", security_token)
    # and the stored hash is the one that authenticates: the password works on the login page
    assert _logs_in(server, user, password)


def _logs_in(server: Server, user: User, password: str) -> bool:
    app, _secret = server.create_app()
    with server.client() as browser:
        outcome = authorize(
            browser,
            {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK},
            user.username,
            password,
        )
    return outcome.response.status_code == 302 and "code" in outcome.query


@pytest.mark.parametrize(
    ("case", "status", "error"),
    [
        ("unknown client_id", "Failed: Invalid Client Id", "invalid_client_id"),
        ("app disabled", "Failed: App Blocked", "app_blocked"),
        ("wrong secret", "Failed: Invalid Client Credentials", "invalid_client"),
        ("no secret", "Failed: Invalid Client Credentials", "invalid_client"),
        ("neither secret of a staged rotation", "Failed: Invalid Client Credentials", "invalid_client"),
        # past client authentication: the status is the refusal's own description
        ("flow disabled", "Failed: grant type not supported", "unsupported_grant_type"),
    ],
)
def test_when_client_authentication_fails_then_its_login_row_says_why_where_from_and_for_which_app(
    server: Server, case: str, status: str, error: str
) -> None:
    user = server.create_user()
    app, secret = server.create_app(client_credentials_enabled=True, client_credentials_user=user.id)
    form = {"grant_type": "client_credentials", "client_id": app.consumer_key, "client_secret": secret}
    if case == "unknown client_id":
        form["client_id"] = "3MVG9" + "x" * 80
    elif case == "app disabled":
        app = server.update_app(app, is_enabled=False)
    elif case == "wrong secret":
        form["client_secret"] = secret + "0"
    elif case == "neither secret of a staged rotation":
        with server.ctx.db.write() as conn:
            app, new_secret = credentials.rotate_secret(server.ctx, conn, app, actor=FIXTURE)
        form["client_secret"] = secret + new_secret
    elif case == "flow disabled":
        app = server.update_app(app, client_credentials_enabled=False)
    else:
        del form["client_secret"]
    agent = f"client-auth/{case}/{os.urandom(4).hex()}"
    with server.client(headers={"User-Agent": agent}) as http:
        refused = http.post("/services/oauth2/token", data=form)
    assert (refused.status_code, refused.json()["error"]) == (400, error)
    (row,) = server.login_history_of(user_agent=agent)
    known = case not in ("unknown client_id", "app disabled")  # found before its secret is checked
    assert {
        k: row[k] for k in ("status", "flow", "username", "user_id", "app_id", "app_name", "source_ip")
    } == {
        "status": status,
        "flow": "client_credentials",
        "username": "",
        "user_id": None,
        "app_id": app.id if known else None,
        "app_name": app.name if known else None,
        "source_ip": "127.0.0.1",
    }
    assert row["login_type"] == "Remote Access 2.0"


def test_when_client_credentials_succeed_then_the_tokens_rows_and_login_row_are_exactly_the_grant_s(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="forcegate.flows")
    user = server.create_user()
    app, secret = server.create_app(
        client_credentials_enabled=True, client_credentials_user=user.id, access_token_lifetime_seconds=900
    )
    agent = f"client-auth/success/{os.urandom(4).hex()}"
    with server.client(headers={"User-Agent": agent}) as http:
        body = http.post(
            "/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": app.consumer_key, "client_secret": secret},
        ).json()
    assert body["access_token"].split("!")[0] == server.org_id[:15]  # opaque: the app did not opt into JWTs
    logged = f"login Success flow=client_credentials user_id={user.id} app={app.name} ip=127.0.0.1"
    assert logged in [r.getMessage() for r in caplog.records if r.name == "forcegate.flows"]
    (row,) = server.login_history_of(user_agent=agent)
    assert (row["status"], row["username"], row["user_id"], row["app_id"], row["app_name"]) == (
        "Success",
        user.username,
        user.id,
        app.id,
        app.name,
    )
    with server.ctx.db.read() as conn:
        stored = (
            conn.execute(
                select(schema.access_tokens).where(
                    schema.access_tokens.c.token_hash == token_hash(body["access_token"])
                )
            )
            .one()
            ._mapping
        )
        authorization = (
            conn.execute(
                select(schema.authorizations).where(schema.authorizations.c.id == stored["authorization_id"])
            )
            .one()
            ._mapping
        )
    assert (stored["org_id"], stored["app_id"], stored["user_id"], stored["scopes"]) == (
        server.org_id,
        app.id,
        user.id,
        body["scope"],
    )
    assert stored["issued_ms"] == int(body["issued_at"])
    assert stored["expires_ms"] == stored["issued_ms"] + 900_000
    assert (authorization["app_id"], authorization["user_id"]) == (app.id, user.id)


# --- races: the second of two reads in one request finds the first one's row gone ---------------------
# Two requests cannot be interleaved at a chosen line over HTTP; each test makes the other party's move
# at that line by wrapping the first read (the module attribute the flow calls), then drives the flow
# over HTTP as usual.


def test_when_an_access_token_is_revoked_between_revocations_read_and_write_then_the_log_says_so(
    server: Server, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forcegate.flows import revocation

    app, secret, _user = client_credentials_app(server)
    token = client_credentials_token(server, app, secret)
    real_find_token = revocation.store.find_token

    def find_then_lose_the_race(conn: Any, hashed: str, hint: str | None = None) -> Any:
        stale = real_find_token(conn, hashed, hint)
        with server.ctx.db.write() as other:  # another request revokes it meanwhile
            assert revocation.store.revoke_access_token(other, hashed, server.clock.now_ms())
        return stale

    caplog.set_level(logging.INFO, logger="forcegate.token")
    monkeypatch.setattr(revocation.store, "find_token", find_then_lose_the_race)
    with server.client() as client:
        response = client.post(REVOKE, data={"token": token})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_token")
    reasons = [r.getMessage() for r in caplog.records if r.name == "forcegate.token"]
    assert reasons == ["revocation refused: invalid_token access token revoked concurrently"]


def test_when_a_refresh_token_is_purged_between_introspections_reads_then_it_is_inactive(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Introspection reads the token, then its refresh-token row for the app's policy; a purge (or a
    revocation that deleted it) in between must read as inactive, never as "valid until revoked"."""
    from forcegate.flows import introspection

    app, secret = server.create_app()
    tokens = web_server_tokens(server, app, secret, server.create_user())
    form = {"token": tokens["refresh_token"], "client_id": app.consumer_key, "client_secret": secret}
    with server.client() as client:
        assert client.post(INTROSPECT, data=form).json()["active"] is True
        monkeypatch.setattr(introspection.refresh_tokens, "find_by_hash", lambda conn, hashed: None)
        assert client.post(INTROSPECT, data=form).json() == {"active": False}

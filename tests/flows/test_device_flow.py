"""The Device flow over real HTTP, in Salesforce's dialect and RFC 8628's: the device (httpx POSTs to
the token and device authorization endpoints) and the user (httpx driving the /setup/connect forms
as a browser without JavaScript), then every refusal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from forcegate.domain import ConnectedApp, User
from forcegate.flows import device
from forcegate.org.access import grant_access
from forcegate.protocol.tokens import response_signature
from forcegate.storage import rate_limits
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.browser import forms, submit
from tests.support.device import (
    CONNECT,
    TOKEN,
    approve_user_code,
    enter_user_code,
    log_in_to_connect,
    poll_rfc,
    start_rfc,
)
from tests.support.server import PASSWORD, Server

SALESFORCE_GRANT = "device"
LIFETIME = device.REQUEST_LIFETIME_SECONDS
USER_CODE = re.compile(r"[BCDFGHJKLMNPQRSTVWXZ]{8}\Z")
WRONG_CODE = "That code is invalid or has expired."
TOO_MANY = "Too many invalid codes."


@dataclass
class Setup:
    server: Server
    app: ConnectedApp
    secret: str
    user: User


def _setup(server: Server, **app_options: object) -> Setup:
    options: dict[str, object] = {"device_flow_enabled": True, **app_options}
    app, secret = server.create_app(**options)
    return Setup(server, app, secret, server.create_user())


@pytest.fixture
def setup(server: Server) -> Setup:
    return _setup(server)


@pytest.fixture(autouse=True)
def _forget_wrong_codes(server: Server) -> Iterator[None]:
    """Every test browses from 127.0.0.1: don't let one test's wrong codes limit the next (the
    clock moves back after a test, so a window started in a test's future would linger)."""
    yield
    with server.ctx.db.write() as conn:
        rate_limits.reset(conn, f"{device.RATE_LIMIT_PREFIX}ip:127.0.0.1")


# --- the device ---------------------------------------------------------------------------------


def _start(server: Server, client_id: str, *, multipart: bool = False, **extra: str) -> httpx.Response:
    """Salesforce's dialect: response_type=device_code at the token endpoint."""
    form = {"response_type": "device_code", "client_id": client_id, **extra}
    with server.client() as client:
        if multipart:  # the Salesforce CLI posts FormData
            return client.post(TOKEN, files={k: (None, v) for k, v in form.items()})
        return client.post(TOKEN, data=form)


def _poll(server: Server, client_id: str, code: str, **extra: str) -> httpx.Response:
    """Salesforce's dialect: grant_type=device with the device code as ``code``."""
    with server.client() as client:
        return client.post(
            TOKEN, data={"grant_type": SALESFORCE_GRANT, "client_id": client_id, "code": code, **extra}
        )


def _started(s: Setup, **extra: str) -> dict[str, object]:
    response = _start(s.server, s.app.consumer_key, **extra)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _assert_error(response: httpx.Response, error: str, description: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": error, "error_description": description}


def _assert_pending(response: httpx.Response) -> None:
    _assert_error(response, "authorization_pending", "authorization pending")


def _userinfo(server: Server, access_token: str) -> httpx.Response:
    with server.client() as client:
        return client.get("/services/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def _history(s: Setup) -> list[tuple[str, str, str]]:
    """(flow, status, username) of the app's rows and of the user's page logins."""
    rows = sorted(
        s.server.login_history_of(app_id=s.app.id)
        + [e for e in s.server.login_history_of(username=s.user.username) if e["app_id"] is None],
        key=lambda e: (-int(str(e["login_ms"])), str(e["id"])),
    )
    return [(str(e["flow"]), str(e["status"]), str(e["username"])) for e in reversed(rows)]


# --- the user ------------------------------------------------------------------------------------


# --- success -----------------------------------------------------------------------------------


def test_when_salesforce_cli_runs_the_device_flow_then_tokens_once_and_userinfo(setup: Setup) -> None:
    s, server = setup, setup.server
    started = _start(server, s.app.consumer_key, multipart=True, scope="refresh_token web api")
    assert started.status_code == 200, started.text
    body = started.json()
    # Exactly Salesforce's fields (salesforce-wire.md §6), the user code as Salesforce shows it.
    assert set(body) == {"device_code", "user_code", "verification_uri", "interval"}
    assert USER_CODE.match(body["user_code"])
    assert body["verification_uri"] == server.url + "/setup/connect"
    assert body["interval"] == 5
    _assert_pending(_poll(server, s.app.consumer_key, body["device_code"]))

    with server.client() as browser:
        code_page = log_in_to_connect(browser, s.user)
        # Typed loosely: lower case, with a space and a dash.
        typed = body["user_code"][:4].lower() + " -" + body["user_code"][4:].lower()
        approve_page = enter_user_code(browser, code_page, typed)
        assert approve_page.status_code == 200
        assert s.app.name in approve_page.text
        assert "Manage user data via APIs" in approve_page.text
        assert "Perform requests at any time" in approve_page.text
        assert body["user_code"][:4] + "-" + body["user_code"][4:] in approve_page.text
        done = submit(browser, approve_page, decision="allow")
    assert done.status_code == 200 and "Device connected" in done.text
    with server.ctx.db.read() as conn:  # remembered, as the consent page does
        assert repo.approved_scopes(conn, s.user.id, s.app.id) == {"refresh_token", "web", "api"}

    tokens = _poll(server, s.app.consumer_key, body["device_code"])
    assert tokens.status_code == 200, tokens.text
    t = tokens.json()
    assert set(t) == {
        "access_token",
        "refresh_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    }
    assert t["scope"] == "refresh_token web api"
    assert t["signature"] == response_signature(s.secret, t["id"], t["issued_at"])
    assert t["id"].endswith(f"/{s.user.id}")
    info = _userinfo(server, t["access_token"])
    assert info.status_code == 200 and info.json()["user_id"] == s.user.id

    assert _history(s) == [
        ("device", "Success", s.user.username),  # the login on the page
        ("device", "Success", s.user.username),  # the token issuance
    ]


def test_when_generic_client_runs_rfc8628_then_tokens_and_userinfo(setup: Setup) -> None:
    s, server = setup, setup.server
    started = start_rfc(server, s.app.consumer_key)
    assert started.status_code == 200, started.text
    body = started.json()
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", body["user_code"])
    assert body["verification_uri"] == server.url + "/setup/connect"
    assert body["verification_uri_complete"] == f"{body['verification_uri']}?user_code={body['user_code']}"
    assert body["expires_in"] == 600 and body["interval"] == 5
    _assert_pending(poll_rfc(server, s.app.consumer_key, body["device_code"]))

    with server.client() as browser:
        # The complete URI carries the code through the login to a prefilled code form.
        code_page = log_in_to_connect(browser, s.user, "?user_code=" + body["user_code"])
        assert forms(code_page.text)[0]["fields"]["user_code"] == body["user_code"]  # type: ignore[index]
        approve_page = submit(browser, code_page)
        assert approve_page.status_code == 200, approve_page.text
        assert submit(browser, approve_page, decision="allow").status_code == 200

    tokens = poll_rfc(server, s.app.consumer_key, body["device_code"])
    assert tokens.status_code == 200, tokens.text
    t = tokens.json()
    assert t["scope"] == "api refresh_token openid web id"  # no scope asked: the app's
    assert "refresh_token" in t
    assert _userinfo(server, t["access_token"]).status_code == 200


def test_when_user_already_logged_in_then_page_asks_only_for_the_code(setup: Setup) -> None:
    s, server = setup, setup.server
    first, second = _started(s), _started(s)
    with server.client() as browser:
        approve = enter_user_code(browser, log_in_to_connect(browser, s.user), str(first["user_code"]))
        submit(browser, approve, decision="allow")
        page = browser.get(CONNECT)  # the session cookie stands for the login
        assert page.status_code == 200 and 'name="password"' not in page.text
        approve = enter_user_code(browser, page, str(second["user_code"]))
        assert submit(browser, approve, decision="allow").status_code == 200
    assert _poll(server, s.app.consumer_key, str(second["device_code"])).status_code == 200


def test_when_approved_request_collected_while_polling_fast_then_tokens_anyway(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    _assert_pending(_poll(server, s.app.consumer_key, str(body["device_code"])))
    approve_user_code(server, s.user, str(body["user_code"]))
    assert _poll(server, s.app.consumer_key, str(body["device_code"])).status_code == 200


# --- refusals: polling ----------------------------------------------------------------------------


def test_when_polled_before_the_user_decides_then_authorization_pending(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    _assert_pending(_poll(server, s.app.consumer_key, str(body["device_code"])))
    server.clock.advance(5)
    _assert_pending(poll_rfc(server, s.app.consumer_key, str(body["device_code"])))
    # Keep-waiting answers are not login attempts: no history rows.
    assert _history(s) == []


def test_when_polled_faster_than_interval_then_slow_down_and_interval_grows(setup: Setup) -> None:
    s, server = setup, setup.server
    code = str(_started(s)["device_code"])
    _assert_pending(_poll(server, s.app.consumer_key, code))
    _assert_error(_poll(server, s.app.consumer_key, code), "slow_down", "polling too quickly")
    server.clock.advance(6)  # enough for the old 5 s interval, not for the new 10 s
    _assert_error(poll_rfc(server, s.app.consumer_key, code), "slow_down", "polling too quickly")
    server.clock.advance(16)  # the interval is 15 s now
    _assert_pending(_poll(server, s.app.consumer_key, code))


def test_when_user_denies_then_access_denied(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    done = approve_user_code(server, s.user, str(body["user_code"]), decision="deny")
    assert done.status_code == 200 and "Access denied" in done.text
    _assert_error(
        _poll(server, s.app.consumer_key, str(body["device_code"])),
        "access_denied",
        "end-user denied authorization",
    )
    assert ("device", "Failed: end-user denied authorization", s.user.username) in _history(s)


def test_when_device_code_expired_then_invalid_grant_or_rfc_expired_token(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    server.clock.advance(LIFETIME + 1)
    _assert_error(
        _poll(server, s.app.consumer_key, str(body["device_code"])), "invalid_grant", "expired device code"
    )
    _assert_error(
        poll_rfc(server, s.app.consumer_key, str(body["device_code"])),
        "expired_token",
        "the device code has expired",
    )
    statuses = [status for _, status, _ in _history(s)]
    assert statuses.count("Failed: expired device code") == 1
    assert statuses.count("Failed: the device code has expired") == 1


def test_when_approved_but_collected_after_expiry_then_expired(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    approve_user_code(server, s.user, str(body["user_code"]))
    server.clock.advance(LIFETIME + 1)
    _assert_error(
        _poll(server, s.app.consumer_key, str(body["device_code"])), "invalid_grant", "expired device code"
    )


def test_when_device_code_polled_after_its_tokens_then_invalid_grant_and_tokens_revoked(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    approve_user_code(server, s.user, str(body["user_code"]))
    first = _poll(server, s.app.consumer_key, str(body["device_code"]))
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    assert _userinfo(server, access_token).status_code == 200

    _assert_error(
        _poll(server, s.app.consumer_key, str(body["device_code"])), "invalid_grant", "invalid device code"
    )
    # Someone else may hold the code: what it produced is revoked.
    assert _userinfo(server, access_token).status_code == 401
    _assert_error(
        poll_rfc(server, s.app.consumer_key, str(body["device_code"])),
        "invalid_grant",
        "invalid device code",
    )


def test_when_device_code_unknown_missing_or_another_apps_then_invalid_grant(setup: Setup) -> None:
    s, server = setup, setup.server
    other = _setup(server)
    foreign = str(_started(other)["device_code"])
    for code in ("nope", foreign):
        _assert_error(_poll(server, s.app.consumer_key, code), "invalid_grant", "invalid device code")
    with server.client() as client:
        missing = client.post(TOKEN, data={"grant_type": SALESFORCE_GRANT, "client_id": s.app.consumer_key})
    _assert_error(missing, "invalid_grant", "invalid device code")
    # The other app's request is untouched.
    _assert_pending(_poll(server, other.app.consumer_key, foreign))


def test_when_client_secret_sent_and_wrong_then_invalid_client(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    approve_user_code(server, s.user, str(body["user_code"]))
    _assert_error(
        _poll(server, s.app.consumer_key, str(body["device_code"]), client_secret="wrong"),
        "invalid_client",
        "invalid client credentials",
    )
    ok = _poll(server, s.app.consumer_key, str(body["device_code"]), client_secret=s.secret)
    assert ok.status_code == 200, ok.text


def test_when_user_deactivated_before_collection_then_approval_withdrawn(setup: Setup) -> None:
    """Deactivation revokes the user's grants, device approvals not yet collected included."""
    s, server = setup, setup.server
    body = _started(s)
    approve_user_code(server, s.user, str(body["user_code"]))
    server.update_user(s.user, is_active=False)
    _assert_error(
        _poll(server, s.app.consumer_key, str(body["device_code"])),
        "access_denied",
        "end-user denied authorization",
    )


# --- refusals: starting ----------------------------------------------------------------------------


def test_when_client_unknown_or_missing_then_invalid_client_id(server: Server) -> None:
    for client_id in ("3MVG9unknown", ""):
        for response in (_start(server, client_id), start_rfc(server, client_id)):
            _assert_error(response, "invalid_client_id", "client identifier invalid")
    _assert_error(_poll(server, "3MVG9unknown", "code"), "invalid_client_id", "client identifier invalid")


def test_when_app_has_no_device_flow_then_unsupported_grant_type(server: Server) -> None:
    s = _setup(server)
    code = str(_started(s)["device_code"])
    app = server.update_app(s.app, device_flow_enabled=False)
    for response in (
        _start(server, app.consumer_key, multipart=True),
        start_rfc(server, app.consumer_key),
        _poll(server, app.consumer_key, code),
        poll_rfc(server, app.consumer_key, code),
    ):
        _assert_error(response, "unsupported_grant_type", "grant type not supported")
    plain, _ = server.create_app()  # Salesforce's default: off
    _assert_error(_start(server, plain.consumer_key), "unsupported_grant_type", "grant type not supported")
    assert ("device", "Failed: grant type not supported", "") in [
        (str(e["flow"]), str(e["status"]), str(e["username"]))
        for e in server.login_history_of(app_id=plain.id)
    ]


def test_when_app_disabled_then_app_blocked(server: Server) -> None:
    s = _setup(server)
    app = server.update_app(s.app, is_enabled=False)
    _assert_error(_start(server, app.consumer_key), "app_blocked", "this app is blocked by admin")
    _assert_error(start_rfc(server, app.consumer_key), "app_blocked", "this app is blocked by admin")


def test_when_scope_unknown_or_not_the_apps_then_invalid_scope(server: Server) -> None:
    s = _setup(server, scopes="api refresh_token")
    for scope in ("api full", "bogus", "api web"):
        _assert_error(
            _start(server, s.app.consumer_key, scope=scope),
            "invalid_scope",
            "the requested scope is not allowed",
        )
        _assert_error(
            start_rfc(server, s.app.consumer_key, scope=scope),
            "invalid_scope",
            "the requested scope is not allowed",
        )


# --- refusals: the verification page ---------------------------------------------------------------


def test_when_user_code_wrong_then_page_says_so_and_device_keeps_waiting(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    with server.client() as browser:
        code_page = log_in_to_connect(browser, s.user)
        for wrong in ("BBBB-BBBB", "AEIOU123", "x" * 500):
            page = enter_user_code(browser, code_page, wrong)
            assert page.status_code == 400 and WRONG_CODE in page.text
            assert 'name="decision"' not in page.text
        empty = enter_user_code(browser, code_page, "  ")
        assert empty.status_code == 400 and "Enter the code" in empty.text
    _assert_pending(_poll(server, s.app.consumer_key, str(body["device_code"])))


def test_when_user_code_expired_then_page_says_invalid(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    server.clock.advance(LIFETIME + 1)
    with server.client() as browser:
        page = enter_user_code(browser, log_in_to_connect(browser, s.user), str(body["user_code"]))
    assert page.status_code == 400 and WRONG_CODE in page.text


def test_when_code_expires_on_the_approval_page_then_too_late(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    with server.client() as browser:
        approve_page = enter_user_code(browser, log_in_to_connect(browser, s.user), str(body["user_code"]))
        server.clock.advance(LIFETIME + 1)
        done = submit(browser, approve_page, decision="allow")
    assert done.status_code == 400 and "expired" in done.text


def test_when_wrong_codes_repeated_then_even_a_right_code_is_refused_until_the_window_passes(
    setup: Setup,
) -> None:
    s, server = setup, setup.server
    body = _started(s)
    with server.client() as browser:
        code_page = log_in_to_connect(browser, s.user)
        for _ in range(device.MAX_WRONG_CODES_PER_SESSION):
            assert WRONG_CODE in enter_user_code(browser, code_page, "BBBB-BBBB").text
        limited = enter_user_code(browser, code_page, str(body["user_code"]))
        assert limited.status_code == 429 and TOO_MANY in limited.text
        assert 'name="decision"' not in limited.text
        _assert_pending(_poll(server, s.app.consumer_key, str(body["device_code"])))

        server.clock.advance(device.WRONG_CODE_WINDOW_MS / 1000 + 1)
        fresh = _started(s)  # the first request expired with the window
        approve_page = enter_user_code(browser, code_page, str(fresh["user_code"]))
        assert approve_page.status_code == 200 and 'name="decision"' in approve_page.text


def test_when_right_codes_entered_then_they_use_up_no_allowance(setup: Setup) -> None:
    s, server = setup, setup.server
    with server.client() as browser:
        code_page = log_in_to_connect(browser, s.user)
        for _ in range(device.MAX_WRONG_CODES_PER_SESSION + 2):
            page = enter_user_code(browser, code_page, str(_started(s)["user_code"]))
            assert page.status_code == 200 and 'name="decision"' in page.text


def test_when_wrong_codes_come_from_many_sessions_of_one_ip_then_the_ip_is_limited(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    per_session = device.MAX_WRONG_CODES_PER_SESSION
    for _ in range(device.MAX_WRONG_CODES_PER_IP // per_session):
        with server.client() as browser:  # a new browser session each time
            code_page = log_in_to_connect(browser, s.user)
            for _ in range(per_session):
                assert WRONG_CODE in enter_user_code(browser, code_page, "BBBB-BBBB").text
    with server.client() as browser:
        limited = enter_user_code(browser, log_in_to_connect(browser, s.user), str(body["user_code"]))
    assert limited.status_code == 429 and TOO_MANY in limited.text


def test_when_posts_lack_csrf_then_forbidden(setup: Setup) -> None:
    s, server = setup, setup.server
    body = _started(s)
    with server.client() as browser:
        login = browser.post(
            CONNECT, data={"step": "login", "username": s.user.username, "password": PASSWORD}
        )
        assert login.status_code == 403 and "fg_sid" not in login.cookies
        code_page = log_in_to_connect(browser, s.user)
        no_csrf = browser.post(CONNECT, data={"step": "code", "user_code": str(body["user_code"])})
        assert no_csrf.status_code == 403 and 'name="decision"' not in no_csrf.text
        forged = enter_user_code(browser, code_page, str(body["user_code"]))
        fields = dict(forms(forged.text)[0]["fields"])  # type: ignore[arg-type]
        # The approval form's token is bound to its user code: it approves no other code.
        other = _started(s)
        swapped = browser.post(CONNECT, data={**fields, "user_code": other["user_code"], "decision": "allow"})
        assert swapped.status_code == 403
        no_csrf = browser.post(CONNECT, data={**fields, "csrf_token": "", "decision": "allow"})
        assert no_csrf.status_code == 403
        assert browser.post(CONNECT, data={**fields, "step": "other", "decision": "allow"}).status_code == 403
    with server.client() as stranger:  # a token from another session is worth nothing
        assert stranger.post(CONNECT, data={**fields, "decision": "allow"}).status_code == 403
    _assert_pending(_poll(server, s.app.consumer_key, str(body["device_code"])))
    _assert_pending(_poll(server, s.app.consumer_key, str(other["device_code"])))


def test_when_password_wrong_on_the_page_then_login_form_again_and_history(setup: Setup) -> None:
    s, server = setup, setup.server
    with server.client() as browser:
        page = browser.get(CONNECT + "?user_code=bcdf-ghjk")
        page = submit(browser, page, username=s.user.username, password="wrong")
    assert page.status_code == 401 and 'name="password"' in page.text
    assert forms(page.text)[0]["fields"]["user_code"] == "BCDF-GHJK"  # type: ignore[index]
    assert _history(s) == [("device", "Invalid Password", s.user.username)]


def test_when_admin_approved_app_and_user_not_assigned_then_access_denied(server: Server) -> None:
    s = _setup(server, permitted_users="admin_approved")
    body = _started(s)
    with server.client() as browser:
        page = enter_user_code(browser, log_in_to_connect(browser, s.user), str(body["user_code"]))
    assert page.status_code == 403 and "Access denied" in page.text and 'name="decision"' not in page.text
    _assert_error(
        _poll(server, s.app.consumer_key, str(body["device_code"])),
        "access_denied",
        "end-user denied authorization",
    )
    statuses = [status for _, status, _ in _history(s)]
    assert "Failed: user is not admin approved to access this app" in statuses


def test_when_admin_approved_app_and_user_assigned_then_tokens(server: Server) -> None:
    s = _setup(server, permitted_users="admin_approved")
    with server.ctx.db.write() as conn:
        grant_access(server.ctx, conn, s.app, profile="Standard User", actor=FIXTURE)
    body = _started(s)
    assert "Device connected" in approve_user_code(server, s.user, str(body["user_code"])).text
    assert _poll(server, s.app.consumer_key, str(body["device_code"])).status_code == 200

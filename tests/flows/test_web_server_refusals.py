"""Every refusal of the Web Server flow, provoked over real HTTP (Done-when list of issue 2)."""

from __future__ import annotations

import re

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.support.browser import authorize, forms
from tests.support.server import PASSWORD, Server

CALLBACK = "http://localhost:1717/OauthRedirect"
VERIFIER = "v" * 43 + "-._~" + "x" * 60


def _params(client_id: str, **extra: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, "state": "s1", **extra}


def _code(server: Server, client_id: str, username: str, **extra: str) -> str:
    with server.client() as browser:
        outcome = authorize(browser, _params(client_id, **extra), username, PASSWORD)
    assert outcome.response.status_code == 302, outcome.response.text
    return outcome.query["code"]


def _token(server: Server, **form: str) -> httpx.Response:
    with server.client() as client:
        return client.post("/services/oauth2/token", data={"grant_type": "authorization_code", **form})


def _assert_error(response: httpx.Response, error: str, description: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": error, "error_description": description}


def _setup(server: Server, **app_options: object) -> tuple[str, str, str]:
    app, secret = server.create_app(**app_options)
    return app.consumer_key, secret, server.create_user().username


def test_when_secret_is_wrong_then_invalid_client(server: Server) -> None:
    key, secret, username = _setup(server)
    code = _code(server, key, username)
    response = _token(
        server,
        code=code,
        client_id=key,
        client_secret=secret[:-1] + ("1" if secret.endswith("0") else "0"),
        redirect_uri=CALLBACK,
    )
    _assert_error(response, "invalid_client", "invalid client credentials")
    # The code was not spent by the failed attempt.
    ok = _token(server, code=code, client_id=key, client_secret=secret, redirect_uri=CALLBACK)
    assert ok.status_code == 200


def test_when_secret_missing_and_required_then_invalid_client(server: Server) -> None:
    key, _, username = _setup(server)
    code = _code(server, key, username)
    _assert_error(
        _token(server, code=code, client_id=key, redirect_uri=CALLBACK),
        "invalid_client",
        "invalid client credentials",
    )


def test_when_client_id_unknown_at_token_endpoint_then_invalid_client_id(server: Server) -> None:
    _assert_error(
        _token(server, code="aPrxNOPE", client_id="3MVG9nope", client_secret="x", redirect_uri=CALLBACK),
        "invalid_client_id",
        "client identifier invalid",
    )


def test_when_redirect_uri_differs_at_token_endpoint_then_redirect_uri_mismatch(server: Server) -> None:
    key, secret, username = _setup(server)
    code = _code(server, key, username)
    other = "https://app.example.com/oauth/callback"  # registered, but not the one the code was issued for
    _assert_error(
        _token(server, code=code, client_id=key, client_secret=secret, redirect_uri=other),
        "redirect_uri_mismatch",
        "redirect_uri must match configuration",
    )


def test_when_redirect_uri_unregistered_at_authorize_then_error_page_without_redirect(server: Server) -> None:
    key, _, _ = _setup(server)
    for redirect in ("https://evil.example.com/cb", CALLBACK + "/", CALLBACK.upper(), ""):
        with server.client() as browser:
            page = browser.get(
                "/services/oauth2/authorize", params={**_params(key), "redirect_uri": redirect}
            )
        assert page.status_code == 400
        assert "location" not in page.headers
        assert "redirect_uri" in page.text and "<form" not in page.text


def test_when_redirect_uri_unregistered_then_the_error_page_shows_it_escaped(server: Server) -> None:
    key, _, _ = _setup(server)
    received = 'https://app.example.com/cb?a=1&b="><script>alert(1)</script>'
    with server.client() as browser:
        page = browser.get("/services/oauth2/authorize", params={**_params(key), "redirect_uri": received})
    assert page.status_code == 400
    assert (
        "<p>The application asked to return to <code>https://app.example.com/cb?a=1&amp;b=&#34;&gt;"
        "&lt;script&gt;alert(1)&lt;/script&gt;</code>, which is not one of the\ncallback URLs registered "
        "for it. They must match character for character.</p>"
    ) in page.text
    assert "<script>" not in page.text
    with server.client() as browser:  # an unknown client: no redirect_uri is worth showing
        unknown = browser.get("/services/oauth2/authorize", params=_params("3MVG9unknown"))
    assert "asked to return to" not in unknown.text


def test_when_client_id_unknown_at_authorize_then_error_page_without_redirect(server: Server) -> None:
    with server.client() as browser:
        page = browser.get("/services/oauth2/authorize", params=_params("3MVG9unknown"))
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "invalid_client_id" in page.text


def test_when_code_reused_then_invalid_grant_and_first_tokens_revoked(server: Server) -> None:
    key, secret, username = _setup(server)
    code = _code(server, key, username, scope="api refresh_token")
    first = _token(server, code=code, client_id=key, client_secret=secret, redirect_uri=CALLBACK)
    assert first.status_code == 200
    bearer = {"Authorization": f"Bearer {first.json()['access_token']}"}
    with server.client() as client:
        assert client.get("/services/oauth2/userinfo", headers=bearer).status_code == 200

    second = _token(server, code=code, client_id=key, client_secret=secret, redirect_uri=CALLBACK)

    _assert_error(second, "invalid_grant", "invalid authorization code")
    with server.client() as client:
        revoked = client.get("/services/oauth2/userinfo", headers=bearer)
    assert revoked.status_code == 401
    assert revoked.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_when_code_older_than_15_minutes_then_expired(server: Server) -> None:
    key, secret, username = _setup(server)
    code = _code(server, key, username)
    server.clock.advance(15 * 60 + 1)
    _assert_error(
        _token(server, code=code, client_id=key, client_secret=secret, redirect_uri=CALLBACK),
        "invalid_grant",
        "expired authorization code",
    )


def test_when_code_unknown_or_from_another_app_then_invalid_grant(server: Server) -> None:
    key, secret, username = _setup(server)
    other_key, _, _ = _setup(server)
    foreign = _code(server, other_key, username)
    for code in ("aPrxDoesNotExist", foreign):
        _assert_error(
            _token(server, code=code, client_id=key, client_secret=secret, redirect_uri=CALLBACK),
            "invalid_grant",
            "invalid authorization code",
        )


def test_when_pkce_verifier_wrong_then_invalid_request(server: Server) -> None:
    key, secret, username = _setup(server)
    code = _code(server, key, username, code_challenge=create_s256_code_challenge(VERIFIER))
    response = _token(
        server,
        code=code,
        client_id=key,
        client_secret=secret,
        redirect_uri=CALLBACK,
        code_verifier=VERIFIER + "x",
    )
    _assert_error(response, "invalid_request", "invalid code verifier")


def test_when_pkce_verifier_missing_then_invalid_grant(server: Server) -> None:
    key, secret, username = _setup(server)
    code = _code(server, key, username, code_challenge=create_s256_code_challenge(VERIFIER))
    _assert_error(
        _token(server, code=code, client_id=key, client_secret=secret, redirect_uri=CALLBACK),
        "invalid_grant",
        "invalid code verifier",
    )


def test_when_pkce_required_but_missing_then_redirect_with_invalid_request(server: Server) -> None:
    key, _, username = _setup(server, require_pkce=True)
    with server.client() as browser:
        outcome = authorize(browser, _params(key), username, PASSWORD)
    assert outcome.response.status_code == 302
    assert outcome.location.startswith(CALLBACK + "?")
    assert outcome.query == {
        "error": "invalid_request",
        "error_description": "missing required code challenge",
        "state": "s1",
    }


def test_when_pkce_method_plain_then_refused(server: Server) -> None:
    key, _, username = _setup(server)
    with server.client() as browser:
        outcome = authorize(
            browser, _params(key, code_challenge="p" * 43, code_challenge_method="plain"), username, PASSWORD
        )
    assert outcome.query["error"] == "invalid_request"


def test_when_app_disabled_then_authorize_and_token_refuse(server: Server) -> None:
    app, secret = server.create_app()
    username = server.create_user().username
    code = _code(server, app.consumer_key, username)
    server.update_app(app, is_enabled=False)
    with server.client() as browser:
        outcome = authorize(browser, _params(app.consumer_key), username, PASSWORD)
    assert outcome.response.status_code == 302
    assert outcome.query["error"] == "app_blocked"
    _assert_error(
        _token(server, code=code, client_id=app.consumer_key, client_secret=secret, redirect_uri=CALLBACK),
        "app_blocked",
        "this app is blocked by admin",
    )


def _login_answer(server: Server, key: str, username: str, password: str) -> httpx.Response:
    with server.client() as browser:
        return authorize(browser, _params(key), username, password).response


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def test_when_password_wrong_then_same_answer_as_unknown_user(server: Server) -> None:
    key, _, username = _setup(server)
    wrong_password = _login_answer(server, key, username, "Wrong-passw0rd")
    unknown_user = _login_answer(server, key, "nobody-" + username, "Wrong-passw0rd")
    for answer in (wrong_password, unknown_user):
        assert answer.status_code == 401
        assert "location" not in answer.headers
        assert "Please check your username and password" in answer.text
    assert _without_csrf(wrong_password.text).replace(username, "U") == _without_csrf(
        unknown_user.text
    ).replace("nobody-" + username, "U")
    statuses = {
        (e["username"], e["status"])
        for name in (username, "nobody-" + username)
        for e in server.login_history_of(username=name)
    }
    assert (username, "Invalid Password") in statuses
    assert ("nobody-" + username, "Invalid Password") in statuses


def test_when_user_inactive_then_login_refused_like_a_wrong_password(server: Server) -> None:
    key, secret, _ = _setup(server)
    user = server.create_user()
    code = _code(server, key, user.username)
    token = _token(server, code=code, client_id=key, client_secret=secret, redirect_uri=CALLBACK).json()
    server.update_user(user, is_active=False)

    answer = _login_answer(server, key, user.username, PASSWORD)

    assert answer.status_code == 401 and "Please check your username and password" in answer.text
    assert (user.username, "User is Inactive") in {
        (e["username"], e["status"]) for e in server.login_history_of(username=user.username)
    }
    with server.client() as client:
        assert (
            client.get(
                "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}
            ).status_code
            == 401
        )


def test_when_scope_unknown_or_not_granted_to_app_then_invalid_scope(server: Server) -> None:
    key, _, username = _setup(server, scopes="api refresh_token")
    for scope in ("api bogus_scope", "api full"):
        with server.client() as browser:
            outcome = authorize(browser, _params(key, scope=scope), username, PASSWORD)
        assert outcome.response.status_code == 302
        assert outcome.query == {
            "error": "invalid_scope",
            "error_description": "the requested scope is not allowed",
            "state": "s1",
        }


def test_when_response_type_unsupported_then_redirect_error(server: Server) -> None:
    key, _, username = _setup(server)
    with server.client() as browser:
        outcome = authorize(browser, _params(key, response_type="bogus"), username, PASSWORD)
    assert outcome.query["error"] == "unsupported_response_type"


def test_when_login_posted_without_csrf_then_forbidden_and_not_attempted(server: Server) -> None:
    key, _, username = _setup(server)
    with server.client() as browser:
        page = browser.get("/services/oauth2/authorize", params=_params(key))
        fields = dict(forms(page.text)[0]["fields"])  # type: ignore[arg-type]
        fields.update(username=username, password=PASSWORD)
        no_token = {k: v for k, v in fields.items() if k != "csrf_token"}
        refused = browser.post("/login", data=no_token)
        forged = browser.post("/login", data={**fields, "csrf_token": "0" * 64})
    for answer in (refused, forged):
        assert answer.status_code == 403
        assert "location" not in answer.headers and "set-cookie" not in answer.headers
    with server.client() as stranger:  # right token, but no CSRF cookie: a cross-site post
        assert stranger.post("/login", data=fields).status_code == 403


def test_when_consent_posted_without_csrf_then_forbidden(server: Server) -> None:
    key, _, username = _setup(server)
    with server.client() as browser:
        outcome = authorize(browser, _params(key), username, PASSWORD, decision=None)
        assert 'name="decision"' in outcome.response.text
        fields = dict(forms(outcome.response.text)[0]["fields"])  # type: ignore[arg-type]
        fields.pop("csrf_token")
        answer = browser.post("/services/oauth2/authorize/consent", data={**fields, "decision": "allow"})
    assert answer.status_code == 403 and "location" not in answer.headers


def test_when_grant_type_unknown_or_token_endpoint_gets_get_then_refused(server: Server) -> None:
    with server.client() as client:
        _assert_error(
            client.post("/services/oauth2/token", data={"grant_type": "magic"}),
            "unsupported_grant_type",
            "grant type not supported",
        )
        _assert_error(
            client.post("/services/oauth2/token", data={}),
            "unsupported_grant_type",
            "grant type not supported",
        )
        _assert_error(client.get("/services/oauth2/token"), "invalid_request", "must use HTTP POST")


def test_when_parameter_duplicated_then_invalid_request(server: Server) -> None:
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            content="grant_type=authorization_code&code=a&code=b",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    _assert_error(response, "invalid_request", "duplicate parameter: code")

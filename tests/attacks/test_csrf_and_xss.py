"""Cross-site request forgery against the login, consent and device pages, and script injection
through every value a page reflects (state, login_hint, username, app name, user code).

RFC 6749 §10.12 and RFC 9700 §4.7 (CSRF), RFC 6819 §4.4.1.8; OWASP ASVS 5.0 V3.5.1 (anti-CSRF),
V1.2.1 / V3.2.2 (output encoding for HTML contexts); OpenID Connect Core §3.1.2.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

import httpx
import pytest

from tests.attacks.refusals import assert_error_page
from tests.attacks.unchanged import nothing_issued
from tests.support.browser import authorize, authorize_url, forms
from tests.support.server import PASSWORD, Server
from tests.support.tokens import CALLBACK

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'


@dataclass
class LoginForm:
    browser: httpx.Client
    fields: dict[str, str]


@pytest.fixture
def login_form(server: Server) -> Iterator[LoginForm]:
    """The login page as a browser got it, filled in with a real user's credentials."""
    app, _ = server.create_app()
    user = server.create_user()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    with server.client() as browser:
        page = browser.get(authorize_url(params))
        fields = dict(forms(page.text)[0]["fields"])  # type: ignore[arg-type]
        yield LoginForm(browser, {**fields, "username": user.username, "password": PASSWORD})


def _forbidden(answer: httpx.Response) -> None:
    assert_error_page(answer, "invalid_request", status=403)
    assert "fg_sid" not in answer.headers.get("set-cookie", "")


@pytest.mark.attack("OWASP ASVS 5.0 V3.5.1 / RFC 6749 §10.12 (login CSRF: no token)")
def test_login_without_csrf_token_is_refused(server: Server, login_form: LoginForm) -> None:
    fields = {k: v for k, v in login_form.fields.items() if k != "csrf_token"}
    with nothing_issued(server):
        _forbidden(login_form.browser.post("/login", data=fields))


@pytest.mark.attack("OWASP ASVS 5.0 V3.5.1 (login CSRF: a forged token)")
@pytest.mark.parametrize("token", ["0" * 64, "", "login:" + "a" * 24], ids=["zeros", "empty", "unsigned"])
def test_login_with_a_forged_csrf_token_is_refused(server: Server, login_form: LoginForm, token: str) -> None:
    with nothing_issued(server):
        _forbidden(login_form.browser.post("/login", data={**login_form.fields, "csrf_token": token}))


@pytest.mark.attack("RFC 9700 §4.7 (cross-site post: the attacker's valid token, the victim's browser)")
def test_login_with_a_token_bound_to_another_browser_is_refused(
    server: Server, login_form: LoginForm
) -> None:
    with server.client() as victim:
        victim.get("/setup/connect")  # the victim's browser holds a CSRF cookie of its own
        assert victim.cookies.get("fg_csrf")
        with nothing_issued(server):
            _forbidden(victim.post("/login", data=login_form.fields))


def _consent_page(server: Server) -> tuple[httpx.Client, dict[str, str]]:
    app, _ = server.create_app()
    user = server.create_user()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    browser = server.client()
    outcome = authorize(browser, params, user.username, PASSWORD, decision=None)
    assert 'name="decision"' in outcome.response.text
    return browser, dict(forms(outcome.response.text)[0]["fields"])  # type: ignore[arg-type]


@pytest.mark.attack("RFC 6819 §4.4.1.8 / OWASP ASVS 5.0 V3.5.1 (consent forged without a token)")
def test_consent_without_csrf_token_issues_nothing(server: Server) -> None:
    browser, fields = _consent_page(server)
    with closing(browser), nothing_issued(server):
        fields.pop("csrf_token")
        _forbidden(browser.post("/services/oauth2/authorize/consent", data={**fields, "decision": "allow"}))


@pytest.mark.attack("RFC 6819 §4.4.1.8 (consent forged with the token of another user's session)")
def test_consent_with_another_sessions_token_issues_nothing(server: Server) -> None:
    victim, victim_fields = _consent_page(server)
    attacker, attacker_fields = _consent_page(server)
    attacker.close()
    forged = {**victim_fields, "csrf_token": attacker_fields["csrf_token"], "decision": "allow"}
    with closing(victim), nothing_issued(server):
        _forbidden(victim.post("/services/oauth2/authorize/consent", data=forged))


@pytest.mark.attack("OWASP ASVS 5.0 V3.5.1 (a login form's token replayed on the consent form)")
def test_consent_with_the_login_forms_token_issues_nothing(server: Server, login_form: LoginForm) -> None:
    browser, fields = _consent_page(server)
    forged = {**fields, "csrf_token": login_form.fields["csrf_token"], "decision": "allow"}
    with closing(browser), nothing_issued(server):
        _forbidden(browser.post("/services/oauth2/authorize/consent", data=forged))


@pytest.mark.attack("OWASP ASVS 5.0 V3.5.1 (device verification page: login without a token)")
def test_device_page_login_without_csrf_token_is_refused(server: Server) -> None:
    user = server.create_user()
    with server.client() as browser:
        page = browser.get("/setup/connect")
        fields = dict(forms(page.text)[0]["fields"])  # type: ignore[arg-type]
        fields.pop("csrf_token")
        with nothing_issued(server):
            _forbidden(
                browser.post(
                    "/setup/connect", data={**fields, "username": user.username, "password": PASSWORD}
                )
            )


def _assert_escaped(page: httpx.Response, payload: str) -> None:
    assert payload not in page.text, page.text
    assert "<script>alert" not in page.text and "<img" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


@pytest.mark.attack(
    "OWASP ASVS 5.0 V1.2.1 (state and other authorize parameters reflected in the login page)"
)
@pytest.mark.parametrize("payload", [SCRIPT, BREAKOUT], ids=["script", "attribute-breakout"])
def test_authorize_parameters_are_escaped_in_the_login_page(server: Server, payload: str) -> None:
    app, _ = server.create_app()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "state": payload,
        "nonce": payload,
        "login_hint": payload,
    }
    with server.client() as browser, nothing_issued(server):
        page = browser.get(authorize_url(params))
    assert page.status_code == 200
    _assert_escaped(page, payload)


@pytest.mark.attack("OWASP ASVS 5.0 V1.2.1 (a typed username reflected after a failed login)")
def test_username_is_escaped_when_the_login_page_comes_back(server: Server, login_form: LoginForm) -> None:
    with nothing_issued(server):
        page = login_form.browser.post("/login", data={**login_form.fields, "username": BREAKOUT + SCRIPT})
    assert page.status_code == 401
    _assert_escaped(page, BREAKOUT)


@pytest.mark.attack("OWASP ASVS 5.0 V1.2.1 (a connected app named with markup, shown to every user)")
def test_app_name_is_escaped_on_login_and_consent_pages(server: Server) -> None:
    app, _ = server.create_app(name=f"Evil {SCRIPT} App")
    user = server.create_user()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    with server.client() as browser:
        login = browser.get(authorize_url(params))
        _assert_escaped(login, SCRIPT)
        consent = authorize(browser, params, user.username, PASSWORD, decision=None).response
    assert 'name="decision"' in consent.text
    _assert_escaped(consent, SCRIPT)


@pytest.mark.attack("OWASP ASVS 5.0 V1.2.1 (error pages: the bad value is never echoed as markup)")
@pytest.mark.parametrize("field", ["client_id", "redirect_uri"])
def test_error_page_does_not_reflect_markup(server: Server, field: str) -> None:
    app, _ = server.create_app()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK, field: SCRIPT}
    with server.client() as browser, nothing_issued(server):
        page = browser.get(authorize_url(params))
    assert page.status_code == 400
    _assert_escaped(page, SCRIPT)


@pytest.mark.attack("OWASP ASVS 5.0 V1.2.1 (device page: user_code from the link reflected in the form)")
def test_device_page_user_code_is_escaped(server: Server) -> None:
    with server.client() as browser, nothing_issued(server):
        page = browser.get("/setup/connect", params={"user_code": BREAKOUT})
    assert page.status_code == 200
    _assert_escaped(page, BREAKOUT)


@pytest.mark.attack("RFC 6819 §4.4.1.9 / OWASP ASVS 5.0 V3.4.6 (clickjacking: login and consent in a frame)")
def test_login_and_consent_pages_refuse_to_be_framed(server: Server) -> None:
    app, _ = server.create_app()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    with server.client() as browser:
        login = browser.get(authorize_url(params))
        consent = authorize(browser, params, server.create_user().username, PASSWORD, decision=None).response
    assert 'name="password"' in login.text and 'name="decision"' in consent.text
    for page in (login, consent):
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


@pytest.mark.attack("OWASP ASVS 5.0 V7.2.4 / RFC 6819 §4.4.1.8 (session fixation: a planted session cookie)")
def test_login_never_adopts_a_session_id_planted_before_it(server: Server, login_form: LoginForm) -> None:
    planted = "attacker-chosen-session-id-" + "0" * 20
    login_form.browser.cookies.set("fg_sid", planted)
    answer = login_form.browser.post("/login", data=login_form.fields)
    assert answer.status_code in (200, 302), answer.text
    issued = answer.cookies.get("fg_sid")
    assert issued and issued != planted
    # The planted id opens nothing.
    app, _ = server.create_app()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    with server.client(cookies={"fg_sid": planted}) as attacker, nothing_issued(server):
        page = attacker.get(authorize_url(params))
    assert page.status_code == 200 and 'name="password"' in page.text

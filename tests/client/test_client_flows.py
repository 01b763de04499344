"""Every SDK flow against a running forcegate over real HTTP: web server with PKCE (browser driven by
an HTTP client), user-agent helpers, device, JWT bearer, refresh, username-password, client
credentials and an existing access token; typed sessions and signature checks."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from forcegate.client import Connection, DeviceCode, KeyFileError, LoginError, OAuthError, Session
from forcegate.client.connection import default_audience, normalize_login_url
from forcegate.flows import device as device_flow
from forcegate.org.access import org_view, update_org
from forcegate.storage import rate_limits
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.browser import authorize
from tests.support.client_helpers import (
    approve_device,
    browser,
    callback,
    connection,
    free_port,
    jwt_setup,
    userinfo_status,
    web_app,
)
from tests.support.server import PASSWORD, Server

CALLBACK = "https://app.example.com/oauth/callback"


def _assert_session(server: Server, session: Session, user_id: str) -> None:
    assert isinstance(session, Session)
    assert session.instance_url == server.url
    assert session.identity_url == f"{server.url}/id/{server.org_id}/{user_id}"
    assert session.org_id == server.org_id and session.user_id == user_id
    assert session.token_type == "Bearer"
    assert session.expires_at_ms > session.issued_at_ms > 0
    assert userinfo_status(server, session.access_token) == 200
    assert session.access_token not in repr(session)


# --- web server flow with PKCE --------------------------------------------------------------------


def test_when_web_server_login_completes_then_typed_session_with_verified_signature(server: Server) -> None:
    port = free_port()
    app, secret = web_app(server, port)
    user = server.create_user()
    opened: list[str] = []

    def open_browser(url: str) -> None:
        opened.append(url)
        browser(server, user)(url)

    with connection(server, app, secret) as conn:
        session = conn.web_server_login(port=port, open_browser=open_browser, timeout=30)

    _assert_session(server, session, user.id)
    assert session.scopes == ("api", "refresh_token")
    assert session.refresh_token and session.signature_verified
    sent = dict(parse_qsl(urlsplit(opened[0]).query))
    assert sent["redirect_uri"] == callback(port)
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert len(sent["state"]) >= 32


def test_when_public_app_logs_in_with_pkce_only_then_tokens_without_signature_check(server: Server) -> None:
    port = free_port()
    app, _ = web_app(server, port, require_secret_for_web_server=False)
    user = server.create_user()
    with connection(server, app, None) as conn:
        session = conn.web_server_login(port=port, open_browser=browser(server, user), timeout=30)
    _assert_session(server, session, user.id)
    assert not session.signature_verified  # signed with a secret this client does not hold


def test_when_redirect_state_differs_then_login_error_and_no_exchange(server: Server) -> None:
    port = free_port()
    app, secret = web_app(server, port)

    def forged(url: str) -> None:
        httpx.get(f"{callback(port)}?code=aPrxforged&state=not-ours", timeout=10)

    with connection(server, app, secret) as conn, pytest.raises(LoginError, match="state"):
        conn.web_server_login(port=port, open_browser=forged, timeout=10)


def test_when_user_denies_consent_then_oauth_error_access_denied(server: Server) -> None:
    port = free_port()
    app, secret = web_app(server, port)
    user = server.create_user()
    with connection(server, app, secret) as conn, pytest.raises(OAuthError) as caught:
        conn.web_server_login(port=port, open_browser=browser(server, user, decision="deny"), timeout=30)
    assert caught.value.error == "access_denied"


def test_when_no_redirect_arrives_then_login_error_after_timeout(server: Server) -> None:
    port = free_port()
    app, secret = web_app(server, port)
    with connection(server, app, secret) as conn, pytest.raises(LoginError, match="no redirect"):
        conn.web_server_login(port=port, open_browser=lambda url: None, timeout=0.5)


# --- user-agent helpers ---------------------------------------------------------------------------


def _user_agent_redirect(server: Server, conn: Connection, user_id: str, username: str, state: str) -> str:
    url = conn.user_agent_url(CALLBACK, state=state, scopes=["api", "id"])
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["response_type"] == "token"
    with server.client() as client:
        outcome = authorize(client, params, username, PASSWORD)
    assert outcome.response.status_code == 302
    return outcome.location


def test_when_user_agent_fragment_parsed_then_session_and_signature_checked(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    conn = connection(server, app, secret)
    location = _user_agent_redirect(server, conn, user.id, user.username, "ua-state")

    session = conn.parse_fragment(location, expected_state="ua-state")

    _assert_session(server, session, user.id)
    assert session.scopes == ("api", "id") and session.signature_verified
    with pytest.raises(LoginError, match="state"):
        conn.parse_fragment(location, expected_state="other")
    tampered = location.replace("issued_at=", "issued_at=1")
    with pytest.raises(LoginError, match="signature"):
        conn.parse_fragment(tampered, expected_state="ua-state")
    with pytest.raises(OAuthError, match="access_denied"):
        conn.parse_fragment(f"{CALLBACK}#error=access_denied&error_description=end-user+denied+authorization")


# --- device flow ----------------------------------------------------------------------------------


@pytest.fixture
def _forget_device_rate_limits(server: Server) -> Iterator[None]:
    yield
    with server.ctx.db.write() as conn:
        rate_limits.reset(conn, f"{device_flow.RATE_LIMIT_PREFIX}ip:127.0.0.1")


@pytest.mark.usefixtures("_forget_device_rate_limits")
def test_when_device_login_approved_then_session_after_polling_at_the_interval(server: Server) -> None:
    app, secret = server.create_app(device_flow_enabled=True)
    user = server.create_user()
    shown: list[DeviceCode] = []
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        server.clock.advance(seconds)  # the server's clock, not ours: no real waiting
        if len(slept) == 2:
            approve_device(server, user, shown[0].user_code)

    with connection(server, app, secret) as conn:
        session = conn.device_login(on_code=shown.append, sleep=sleep)

    assert shown[0].verification_uri == f"{server.url}/setup/connect"
    assert shown[0].device_code not in repr(shown[0])
    assert slept == [5, 5]  # pending once, then the tokens
    _assert_session(server, session, user.id)
    assert session.refresh_token and session.signature_verified


@pytest.mark.usefixtures("_forget_device_rate_limits")
def test_when_server_says_slow_down_then_the_interval_grows_by_five_seconds(server: Server) -> None:
    app, secret = server.create_app(device_flow_enabled=True)
    user = server.create_user()
    shown: list[DeviceCode] = []
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) >= 3:  # the first two polls come too fast: the second is told to slow down
            server.clock.advance(seconds)
        if len(slept) == 3:
            approve_device(server, user, shown[0].user_code)

    with connection(server, app, secret) as conn:
        session = conn.device_login(on_code=shown.append, sleep=sleep)

    assert slept == [5, 5, 10]
    assert userinfo_status(server, session.access_token) == 200


@pytest.mark.usefixtures("_forget_device_rate_limits")
def test_when_device_login_denied_then_oauth_error(server: Server) -> None:
    app, secret = server.create_app(device_flow_enabled=True)
    user = server.create_user()
    shown: list[DeviceCode] = []

    def sleep(seconds: float) -> None:
        server.clock.advance(seconds)
        with server.client() as client:
            from tests.support.browser import submit

            page = client.get("/setup/connect")
            page = submit(client, page, username=user.username, password=PASSWORD)
            page = submit(client, page, user_code=shown[0].user_code)
            submit(client, page, decision="deny")

    with connection(server, app, secret) as conn, pytest.raises(OAuthError) as caught:
        conn.device_login(on_code=shown.append, sleep=sleep)
    assert caught.value.error == "access_denied"


def _landing_pages(server: Server, user: Any, decision: str, pages: list[str]) -> Callable[[str], None]:
    """A browser that logs in, decides, and keeps the loopback page it lands on."""

    def open_browser(url: str) -> None:
        with server.client() as client:
            outcome = authorize(client, dict(parse_qsl(urlsplit(url).query)), user.username, PASSWORD,
                                decision=decision)  # fmt: skip
        landing = httpx.get(outcome.location, timeout=10)
        assert landing.status_code == 200
        assert landing.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
        pages.append(landing.text)

    return open_browser


def test_when_the_redirect_carries_an_error_then_the_loopback_page_shows_it_not_logged_in(
    server: Server,
) -> None:
    port = free_port()
    app, secret = web_app(server, port)
    user = server.create_user()
    pages: list[str] = []
    with connection(server, app, secret) as conn, pytest.raises(OAuthError):
        conn.web_server_login(port=port, open_browser=_landing_pages(server, user, "deny", pages), timeout=30)
    [page] = pages
    assert "<title>Login failed | forcegate</title>" in page and "<style>" in page
    assert (
        '<h1>Login failed</h1>\n<p class="error" role="alert"><strong>error=access_denied</strong><br>'
        "end-user denied authorization</p>\n<p>Close this window and return to the terminal.</p>"
    ) in page
    assert "logged in" not in page.lower()

    with connection(server, app, secret) as conn:
        session = conn.web_server_login(
            port=port, open_browser=_landing_pages(server, user, "allow", pages), timeout=30
        )
    assert session.access_token
    assert (
        "<h1>Authorization received</h1>\n"
        "<p>Close this window and return to the terminal, which finishes the login.</p>"
    ) in pages[1]


def test_when_a_redirect_error_carries_markup_then_the_loopback_page_shows_it_inert(server: Server) -> None:
    port = free_port()
    app, secret = web_app(server, port)
    pages: list[str] = []

    def forged(url: str) -> None:
        query = "error=%3Cb%3Ex%3C%2Fb%3E&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=s"
        pages.append(httpx.get(f"{callback(port)}?{query}", timeout=10).text)

    with connection(server, app, secret) as conn, pytest.raises(LoginError, match="state"):
        conn.web_server_login(port=port, open_browser=forged, timeout=10)
    assert (
        "<strong>error=&lt;b&gt;x&lt;/b&gt;</strong><br>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    ) in pages[0]
    assert "<script>" not in pages[0]


# --- JWT bearer -----------------------------------------------------------------------------------


def test_when_jwt_login_with_key_file_then_session_without_refresh_token(
    server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path)
    with connection(server, setup.app, None) as conn:
        session = conn.jwt_login(setup.user.username, setup.key_file)
    _assert_session(server, session, setup.user.id)
    assert session.refresh_token is None


def test_when_jwt_user_not_pre_authorized_then_server_error_and_description(
    server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path)
    stranger = server.create_user(profile="System Administrator")
    with connection(server, setup.app, None) as conn, pytest.raises(OAuthError) as caught:
        conn.jwt_login(stranger.username, setup.key_file)
    assert (caught.value.error, caught.value.description) == (
        "invalid_app_access",
        "user is not admin approved to access this app",
    )


def test_when_jwt_key_is_not_a_private_key_then_login_error(server: Server, tmp_path: Path) -> None:
    setup = jwt_setup(server, tmp_path)
    bad = tmp_path / "not-a-key.pem"
    bad.write_text("-----BEGIN NONSENSE-----\n")
    with connection(server, setup.app, None) as conn, pytest.raises(LoginError, match="RSA private key"):
        conn.jwt_login(setup.user.username, bad)


def test_when_the_jwt_key_is_a_certificate_then_key_file_error_and_nothing_sent(
    server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path)
    certificate = tmp_path / "server.crt"
    certificate.write_text(str(setup.app.certificate_pem))
    before = len(server.login_history_of(user_id=setup.user.id))
    with connection(server, setup.app, None) as conn, pytest.raises(KeyFileError) as caught:
        conn.jwt_login(setup.user.username, certificate)
    assert str(caught.value) == (
        f"the JWT key {certificate} is a certificate, not a private key: pass the private key whose "
        "certificate the app holds"
    )
    assert len(server.login_history_of(user_id=setup.user.id)) == before


def test_when_the_app_issues_jwt_access_tokens_then_the_session_expires_at_their_exp(
    server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path, jwt_access_tokens=True, access_token_lifetime_seconds=60)
    with connection(server, setup.app, None) as conn:
        session = conn.jwt_login(setup.user.username, setup.key_file)
    assert session.expiry_estimated is False
    assert 59_000 <= session.expires_at_ms - server.clock.now_ms() <= 60_000


def test_when_introspection_states_the_expiry_then_the_session_takes_it(
    server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path, access_token_lifetime_seconds=60)
    with connection(server, setup.app, None) as conn:
        guessed = conn.jwt_login(setup.user.username, setup.key_file)
        assert conn.with_server_expiry(guessed) is guessed  # no secret: nothing to introspect with
    assert guessed.expiry_estimated is True
    assert guessed.expires_at_ms - guessed.issued_at_ms == 7200 * 1000
    with connection(server, setup.app, setup.secret) as conn:
        stated = conn.with_server_expiry(conn.jwt_login(setup.user.username, setup.key_file))
        assert stated.expiry_estimated is False
        assert 59_000 <= stated.expires_at_ms - server.clock.now_ms() <= 60_000
        conn.revoke(stated.access_token)
        revoked = conn.jwt_login(setup.user.username, setup.key_file)
        conn.revoke(revoked.access_token)
        assert conn.with_server_expiry(revoked).expiry_estimated is True  # inactive: the server says nothing


def test_jwt_audience_follows_the_environment() -> None:
    assert default_audience("https://login.salesforce.com") == "https://login.salesforce.com"
    assert default_audience("https://test.salesforce.com") == "https://test.salesforce.com"
    assert default_audience("https://acme.my.salesforce.com") == "https://login.salesforce.com"
    assert default_audience("https://acme--uat.sandbox.my.salesforce.com") == "https://test.salesforce.com"
    assert default_audience("https://sso.example.com") == "https://sso.example.com"
    assert normalize_login_url("acme.my.salesforce.com/") == "https://acme.my.salesforce.com"
    with pytest.raises(ValueError, match="Lightning"):
        normalize_login_url("https://acme.lightning.force.com")


# --- refresh --------------------------------------------------------------------------------------


def _web_session(server: Server, **app_options: Any) -> tuple[Connection, Session, str]:
    port = free_port()
    app, secret = web_app(server, port, **app_options)
    user = server.create_user()
    conn = connection(server, app, secret)
    return conn, conn.web_server_login(port=port, open_browser=browser(server, user), timeout=30), user.id


def test_when_refreshed_then_new_access_token_and_the_refresh_token_kept(server: Server) -> None:
    conn, first, user_id = _web_session(server)
    with conn:
        second = conn.refresh(str(first.refresh_token))
    assert second.access_token != first.access_token
    assert second.refresh_token == first.refresh_token  # no rotation: the server sent none
    assert second.signature_verified
    _assert_session(server, second, user_id)


def test_when_refresh_token_unknown_then_refresh_token_rejected_saying_log_in_again(server: Server) -> None:
    conn, _, _ = _web_session(server)
    from forcegate.client import RefreshTokenRejected

    with conn, pytest.raises(RefreshTokenRejected, match="Log in again"):
        conn.refresh("5Aep861nosuchtoken")


# --- username-password, client credentials, an existing token ------------------------------------


@pytest.fixture
def password_flow_allowed(server: Server) -> Iterator[None]:
    with server.ctx.db.read() as conn:
        original = repo.org_by_id(conn, server.org_id)
    assert original is not None
    saved = org_view(original)

    def change(**settings: Any) -> None:
        with server.ctx.db.write() as conn:
            org = repo.org_by_id(conn, server.org_id)
            assert org is not None
            update_org(server.ctx, conn, org, settings, actor=FIXTURE)

    change(allow_username_password_flows=True, trusted_ip_ranges=["127.0.0.1/32", "::1/128"])
    yield
    change(**{k: saved[k] for k in ("allow_username_password_flows", "trusted_ip_ranges")})


@pytest.mark.usefixtures("password_flow_allowed")
def test_when_password_login_then_session_and_a_deprecation_warning(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    with connection(server, app, secret) as conn, pytest.warns(DeprecationWarning, match="deprecated"):
        session = conn.password_login(user.username, PASSWORD)
    _assert_session(server, session, user.id)
    assert session.signature_verified and session.refresh_token is None


@pytest.mark.usefixtures("password_flow_allowed")
def test_when_password_wrong_then_oauth_error_authentication_failure(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    with connection(server, app, secret) as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(OAuthError) as caught:
            conn.password_login(user.username, "wrong")
    assert (caught.value.error, caught.value.description) == ("invalid_grant", "authentication failure")


def test_when_client_credentials_login_then_session_as_the_run_as_user(server: Server) -> None:
    user = server.create_user()
    app, secret = server.create_app(client_credentials_enabled=True, client_credentials_user=user.username)
    with connection(server, app, secret) as conn:
        session = conn.client_credentials_login()
    _assert_session(server, session, user.id)
    assert session.signature_verified


def test_when_client_credentials_secret_wrong_then_invalid_client(server: Server) -> None:
    user = server.create_user()
    app, _ = server.create_app(client_credentials_enabled=True, client_credentials_user=user.username)
    with connection(server, app, "wrong-secret") as conn, pytest.raises(OAuthError) as caught:
        conn.client_credentials_login()
    assert caught.value.error == "invalid_client"


def test_when_an_existing_access_token_is_used_then_it_works_as_a_session(server: Server) -> None:
    user = server.create_user()
    app, secret = server.create_app(client_credentials_enabled=True, client_credentials_user=user.username)
    with connection(server, app, secret) as conn:
        token = conn.client_credentials_login().access_token
    with Connection(server.url, "any-client") as other:
        session = other.use_access_token(token, server.url)
        assert other.userinfo(session)["user_id"] == user.id
    assert session.access_token == token and session.refresh_token is None


def test_the_public_api_is_pinned() -> None:
    import forcegate.client as sdk

    assert sorted(sdk.__all__) == sorted(
        [
            "LOGIN_URL", "SANDBOX_URL", "ClientError", "Connection", "DeviceCode", "EncryptedFileStore",
            "Forbidden", "KeyFileError", "KeyringStore", "LoginError", "MalformedRequest", "MethodNotAllowed",
            "MultipleChoices", "NetworkError", "NotFound", "OAuthError", "RefreshTokenRejected",
            "SalesforceAuth", "SalesforceClient", "SalesforceError", "SalesforceRequestsAuth", "ServerError",
            "Session", "SessionExpired", "StoreError", "StoredConnection", "TokenManager", "TokenStore",
            "keyring_usable", "manager_for", "normalize_login_url", "open_store",
        ]
    )  # fmt: skip
    assert all(hasattr(sdk, name) for name in sdk.__all__)
    assert issubclass(sdk.RefreshTokenRejected, sdk.OAuthError)
    assert issubclass(sdk.SessionExpired, sdk.SalesforceError) and issubclass(
        sdk.SalesforceError, sdk.ClientError
    )

"""Deployment concerns: the public URL behind a TLS-terminating proxy, trusted proxies, the built-in
PlatformCLI app as the Salesforce CLI uses it, and several server processes sharing one database."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.support.browser import authorize
from tests.support.server import PASSWORD, Server, make_settings, start_server

CLI_CALLBACK = "http://localhost:1717/OauthRedirect"


@pytest.fixture
def proxied(server: Server, tmp_path: Path) -> Iterator[Server]:
    """A second server process on the same database and server key, told its public URL and that
    127.0.0.1 is its proxy."""
    name, url = server.backend, server.ctx.settings.database_url
    settings = make_settings(
        url,
        tmp_path,
        public_url="https://fg.example.com",
        trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),),
        server_keys=server.ctx.settings.server_keys,
    )
    yield from start_server(settings, name)


def _tokens(
    server: Server,
    client_id: str,
    username: str,
    secret: str | None,
    exchange_at: Server | None = None,
    **headers: str,
) -> dict[str, str]:
    """Log in through ``server``'s pages; exchange the code at ``exchange_at`` (default: the same).

    (A server whose public URL is https sets Secure cookies, which a plain-http test browser drops.)
    """
    verifier = secrets.token_urlsafe(96)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CLI_CALLBACK,
        "code_challenge": create_s256_code_challenge(verifier),
        "state": "abc123def456",
    }
    with server.client(headers=headers) as browser:
        outcome = authorize(
            browser, {**params, "prompt": "login", "scope": "refresh_token api web"}, username, PASSWORD
        )
        form = {
            "grant_type": "authorization_code",
            "code": outcome.query["code"],
            "client_id": client_id,
            "redirect_uri": CLI_CALLBACK,
            "code_verifier": verifier,
        }
        if secret:
            form["client_secret"] = secret
    with (exchange_at or server).client(headers=headers) as client:
        response = client.post("/services/oauth2/token", data=form)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_when_salesforce_cli_logs_in_with_platform_cli_then_public_client_with_pkce_works(
    server: Server,
) -> None:
    user = server.create_user()
    token = _tokens(server, "PlatformCLI", user.username, None)
    assert token["scope"] == "refresh_token api web"
    assert "refresh_token" in token and "signature" in token
    with server.client() as client:
        info = client.get(
            "/services/oauth2/userinfo",
            headers={"Authorization": f"Bearer {token['access_token']}", "User-Agent": "sfdx toolbelt:"},
        )
    assert info.json()["user_id"] == user.id and info.json()["organization_id"] == server.org_id


def test_when_public_url_configured_then_issuer_urls_use_it(server: Server, proxied: Server) -> None:
    user = server.create_user()
    app, secret = server.create_app()
    token = _tokens(server, app.consumer_key, user.username, secret, exchange_at=proxied)
    assert token["instance_url"] == "https://fg.example.com"
    assert token["id"] == f"https://fg.example.com/id/{server.org_id}/{user.id}"
    # Another process on the same database accepts the token at once: nothing lives in process memory.
    with server.client() as client:
        assert (
            client.get(
                "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"}
            ).status_code
            == 200
        )


def test_when_forwarded_for_comes_from_trusted_proxy_then_client_ip_is_taken_from_it(
    server: Server, proxied: Server
) -> None:
    user = server.create_user()
    app, secret = server.create_app()
    agent = f"proxied-{secrets.token_hex(3)}"
    _tokens(
        server,
        app.consumer_key,
        user.username,
        secret,
        exchange_at=proxied,
        **{"X-Forwarded-For": "203.0.113.9, 127.0.0.1", "User-Agent": agent},
    )
    # The page login went to the direct server (127.0.0.1); the code exchange through the proxy.
    ips = {e["source_ip"] for e in proxied.login_history_of(user_agent=agent)}
    assert ips == {"127.0.0.1", "203.0.113.9"}


def test_when_forwarded_for_comes_from_anyone_else_then_it_is_ignored(server: Server) -> None:
    user = server.create_user()
    app, secret = server.create_app()
    agent = f"direct-{secrets.token_hex(3)}"
    _tokens(
        server,
        app.consumer_key,
        user.username,
        secret,
        **{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "User-Agent": agent},
    )
    ips = {e["source_ip"] for e in server.login_history_of(user_agent=agent)}
    assert ips == {"127.0.0.1"}

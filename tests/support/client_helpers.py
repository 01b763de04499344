"""Shared set-up for the SDK and CLI tests: apps, users, a "browser" and a device approver that
drive forcegate's pages over HTTP, and a JWT key pair."""

from __future__ import annotations

import datetime
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from forcegate.client import Connection
from forcegate.domain import ConnectedApp, User
from forcegate.org.access import grant_access
from tests.support.actors import FIXTURE
from tests.support.browser import authorize, submit
from tests.support.server import PASSWORD, Server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def callback(port: int) -> str:
    return f"http://localhost:{port}/OauthRedirect"


def web_app(server: Server, port: int, **options: object) -> tuple[ConnectedApp, str]:
    values: dict[str, object] = {
        "callback_urls": [callback(port), "https://app.example.com/oauth/callback"],
        **options,
    }
    return server.create_app(**values)


def connection(server: Server, app: ConnectedApp, secret: str | None, **options: object) -> Connection:
    return Connection(server.url, app.consumer_key, secret, clock=server.clock.now_ms, **options)  # type: ignore[arg-type]


def browser(server: Server, user: User, decision: str = "allow") -> Callable[[str], None]:
    """An ``open_browser`` for the Web Server flow: log in, consent, follow the redirect to the
    loopback listener, as a browser would."""

    def open_browser(url: str) -> None:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == server.url, url
        params = dict(parse_qsl(parts.query))
        with server.client() as client:
            outcome = authorize(client, params, user.username, PASSWORD, decision=decision)
        assert outcome.response.status_code == 302, outcome.response.text
        landing = httpx.get(outcome.location, timeout=10)
        assert landing.status_code == 200

    return open_browser


def approve_device(server: Server, user: User, user_code: str) -> None:
    """The user's side of the device flow: log in on /setup/connect, type the code, allow."""
    with server.client() as client:
        page = client.get("/setup/connect")
        page = submit(client, page, username=user.username, password=PASSWORD)
        page = submit(client, page, user_code=user_code)
        assert 'name="decision"' in page.text, page.text
        done = submit(client, page, decision="allow")
        assert done.status_code == 200, done.text


@dataclass(frozen=True)
class JwtSetup:
    app: ConnectedApp
    secret: str
    user: User
    key_file: Path


def jwt_setup(
    server: Server, directory: Path, profile: str = "Standard User", **app_options: object
) -> JwtSetup:
    """An admin-approved app holding a fresh certificate, a pre-authorized user, and the private key
    in a PEM file."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "forcegate client test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(private_key, hashes.SHA256())
    )
    app, secret = server.create_app(permitted_users="admin_approved", **app_options)
    app = server.update_app(
        app, certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode()
    )
    with server.ctx.db.write() as conn:
        grant_access(server.ctx, conn, app, profile=profile, actor=FIXTURE)
    user = server.create_user(profile=profile)
    key_file = directory / "server.key"
    key_file.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_file.chmod(0o600)
    return JwtSetup(app, secret, user, key_file)


def userinfo_status(server: Server, access_token: str) -> int:
    with server.client() as client:
        response = client.get(
            "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"}
        )
    return response.status_code

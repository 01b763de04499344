"""Helpers for the data-API tests: real tokens over HTTP, and users with given permissions."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import requests
import uvicorn
from simple_salesforce import Salesforce

from forcegate.devca import create_dev_certificates
from forcegate.domain import User
from forcegate.server import uvicorn_config
from forcegate.web.app import create_app
from tests.support.server import Server, _free_port

VERSION = "62.0"
DATA = f"/services/data/v{VERSION}"


def token_for(server: Server, user: User, scopes: str = "api") -> str:
    """An access token acting as ``user``, from the client credentials flow over HTTP."""
    app, secret = server.create_app(
        client_credentials_enabled=True, client_credentials_user=user.username, scopes=scopes
    )
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": app.consumer_key, "client_secret": secret},
        )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_client(server: Server) -> httpx.Client:
    """An httpx client authenticated as a fresh System Administrator (for the admin API)."""
    admin = server.create_user(profile="System Administrator")
    return server.client(headers=bearer(token_for(server, admin)))


def permission_set(server: Server, admin: httpx.Client, **grants: Any) -> str:
    """A new permission set granting ``grants`` (admin API body), by name."""
    name = f"ps_{secrets.token_hex(4)}"
    response = admin.post("/admin/api/v1/permission-sets", json={"name": name, **grants})
    assert response.status_code == 201, response.text
    return name


def assign(admin: httpx.Client, set_name: str, user: User) -> None:
    response = admin.post(f"/admin/api/v1/permission-sets/{set_name}/assignments", json={"user": user.id})
    assert response.status_code == 200, response.text


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert isinstance(body, list) and len(body) == 1, body
    return response.status_code, str(body[0]["errorCode"])


@dataclass
class TlsServer:
    """A second HTTPS listener on a test server's database (simple-salesforce only speaks https)."""

    url: str
    ca_cert: Path

    def salesforce(self, token: str) -> Salesforce:
        session = requests.Session()
        # Otherwise REQUESTS_CA_BUNDLE from the environment overrides the session's CA (requests #3829).
        session.trust_env = False
        session.verify = str(self.ca_cert)
        return Salesforce(instance_url=self.url, session_id=token, version=VERSION, session=session)


def start_tls_server(server: Server, directory: Path) -> Iterator[TlsServer]:
    certs = create_dev_certificates(directory)
    port = _free_port()
    url = f"https://127.0.0.1:{port}"
    app = create_app(server.ctx, url)
    config = uvicorn_config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=str(certs.cert),
        ssl_keyfile=str(certs.key),
    )
    tls = uvicorn.Server(config)
    thread = threading.Thread(target=tls.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not tls.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("TLS test server did not start")
        time.sleep(0.02)
    try:
        yield TlsServer(url, certs.ca_cert)
    finally:
        tls.should_exit = True
        thread.join(timeout=10)

"""JWT bearer assertions as clients make them: an RSA key with its self-signed certificate, signed (or
deliberately unsigned) assertions, and an admin-approved app whose user may present them (the flow
tests of the JWT bearer flow and the attacks, fuzzing and secrets tests built on them).

salesforce-wire.md §5.
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import RSAKey

from forcegate.domain import ConnectedApp, User
from forcegate.org.access import grant_access
from tests.support.actors import FIXTURE
from tests.support.server import Server

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class KeyPair:
    private: RSAKey
    certificate_pem: str


def key_pair(valid_days: int = 30) -> KeyPair:
    """A fresh RSA key and a self-signed certificate for it, as an admin would upload (expired when
    ``valid_days`` is negative)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "forcegate jwt test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=max(1, 1 - valid_days)))
        .not_valid_after(now + datetime.timedelta(days=valid_days))
        .sign(private_key, hashes.SHA256())
    )
    return KeyPair(
        RSAKey.import_key(private_key),
        certificate.public_bytes(serialization.Encoding.PEM).decode(),
    )


@dataclass
class Setup:
    server: Server
    app: ConnectedApp
    user: User
    keys: KeyPair
    # Sent as User-Agent and recorded in login history: picks this test's rows out of the shared server's.
    agent: str = field(default_factory=lambda: f"jwt-test-{secrets.token_hex(6)}")

    def claims(self, **overrides: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "iss": self.app.consumer_key,
            "sub": self.user.username,
            "aud": self.server.url,
            "exp": self.server.clock.now_ms() // 1000 + 180,
        }
        values.update(overrides)
        return {k: v for k, v in values.items() if v is not None}

    def assertion(self, **overrides: Any) -> str:
        return sign(self.claims(**overrides), self.keys.private)

    def token(self, assertion: str | None) -> httpx.Response:
        data = {"grant_type": GRANT_TYPE}
        if assertion is not None:
            data["assertion"] = assertion
        with self.server.client(headers={"User-Agent": self.agent}) as client:
            return client.post("/services/oauth2/token", data=data)

    def history(self) -> list[dict[str, object]]:
        """This test's jwt_bearer login history rows, newest first."""
        return self.server.login_history_of(flow="jwt_bearer", user_agent=self.agent)


def sign(claims: dict[str, Any], key: RSAKey, header: dict[str, Any] | None = None) -> str:
    header = header or {"alg": "RS256"}
    return jwt.encode(header, claims, key, algorithms=[header["alg"]])


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())


def admin_approved_setup(server: Server, keys: KeyPair, *, assigned: bool = True) -> Setup:
    app, _ = server.create_app(permitted_users="admin_approved")
    app = server.update_app(app, certificate_pem=keys.certificate_pem)
    user = server.create_user()  # profile "Standard User"
    if assigned:
        with server.ctx.db.write() as conn:
            grant_access(server.ctx, conn, app, profile="Standard User", actor=FIXTURE)
    return Setup(server, app, user, keys)

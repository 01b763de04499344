"""The client recipes of the documentation, read from the pages exactly as printed.

A recipe is the fenced code block right after a line `<!-- recipe: NAME -->` in a page under docs/.
The tests run each one unchanged, so a recipe that stops working fails the suite, not a reader.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from forcegate.domain import PERMITTED_ADMIN_APPROVED
from forcegate.org import users
from forcegate.org.access import grant_access, update_org
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.data_api import token_for
from tests.support.server import PASSWORD, Server, _postgres_database

DOCS = Path(__file__).resolve().parents[2] / "docs"

_MARKER = re.compile(r"^<!-- recipe: (?P<name>[\w.-]+) -->\s*$")
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<language>[\w+-]*)\s*$")


def recipes(page: str | Path) -> dict[str, tuple[str, str]]:
    """Every recipe of a page (a path, or one relative to docs/): name -> (language, code)."""
    path = Path(page)
    if not path.is_absolute() and not path.exists():
        path = DOCS / path
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[str, tuple[str, str]] = {}
    for index, line in enumerate(lines):
        marker = _MARKER.match(line)
        if marker is None:
            continue
        name = marker["name"]
        opening = _FENCE.match(lines[index + 1]) if index + 1 < len(lines) else None
        if opening is None:
            raise ValueError(f"{path}:{index + 1}: recipe {name!r} is not followed by a fenced code block")
        if name in found:
            raise ValueError(f"{path}:{index + 1}: recipe {name!r} appears twice")
        fence = opening["fence"]
        body: list[str] = []
        for line_after in lines[index + 2 :]:
            closing = line_after.strip()
            if len(closing) >= len(fence) and closing == fence[0] * len(closing):
                break
            body.append(line_after)
        else:
            raise ValueError(f"{path}:{index + 1}: recipe {name!r} has no closing fence")
        found[name] = (opening["language"], "\n".join(body) + "\n")
    return found


def key_pair(directory: Path) -> tuple[Path, str]:
    """A private key file and the PEM certificate the app holds, as `openssl req -x509` makes them."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "my-integration")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_file = directory / "jwt-key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return key_file, certificate.public_bytes(serialization.Encoding.PEM).decode()


def database_url(backend: str, directory: Path) -> Iterator[str]:
    """A fresh database for a module's own server: a SQLite file in `directory`, or a new PostgreSQL
    database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'forcegate.db'}"
    else:
        yield from _postgres_database()


def reader_environment(server: Server, url: str, directory: Path) -> tuple[dict[str, str], str]:
    """What docs/clients/index.md has a reader set up, as the variables the recipes read, and the
    username they act as: an app with a certificate and a callback on localhost:1717, the client
    credentials flow and pre-authorized users, a user, and the org's password logins on."""
    key_file, certificate = key_pair(directory)
    with server.ctx.db.write() as conn:
        user, security_token = users.create_user(
            server.ctx, conn, server.org_id, username="ci@example.com", password=PASSWORD, actor=FIXTURE
        )
        org = repo.org_by_id(conn, server.org_id)
        assert org is not None
        update_org(
            server.ctx,
            conn,
            org,
            {"allow_username_password_flows": True, "allow_soap_login": True},
            actor=FIXTURE,
        )
    app, secret = server.create_app(
        name="My Integration",
        scopes="api refresh_token openid profile",
        callback_urls=["http://localhost:1717/OauthRedirect"],
        certificate_pem=certificate,
        permitted_users=PERMITTED_ADMIN_APPROVED,
        client_credentials_enabled=True,
        client_credentials_user=user.username,
    )
    with server.ctx.db.write() as conn:
        grant_access(server.ctx, conn, app, profile="Standard User", actor=FIXTURE)
    variables = {
        "FORCEGATE_URL": url,
        "FORCEGATE_CONSUMER_KEY": app.consumer_key,
        "FORCEGATE_CONSUMER_SECRET": secret,
        "FORCEGATE_USERNAME": user.username,
        "FORCEGATE_PASSWORD": PASSWORD,
        "FORCEGATE_SECURITY_TOKEN": security_token,
        "FORCEGATE_PRIVATE_KEY_FILE": str(key_file),
        "FORCEGATE_ACCESS_TOKEN": token_for(server, user),
    }
    return variables, user.username

"""Unicode tricks on usernames: a variant that looks like, or normalises to, a user's name never logs
in as that user, and an admin cannot create a confusable twin of an existing user.

OWASP ASVS 5.0 V6.2.11 / V6.3.x (usernames compared exactly; confusables), Unicode TR #36 §2 and
TR #39 (visual spoofing), RFC 8265 §3 (UsernameCaseMapped: no compatibility forms, no invisible
characters); Salesforce: a username is in the form of an email address (ASCII; RFC 6532 is not
supported).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest

from forcegate.domain import User
from forcegate.org import users
from tests.attacks.refusals import assert_api_error
from tests.attacks.unchanged import nothing_issued
from tests.support.actors import FIXTURE
from tests.support.browser import authorize
from tests.support.data_api import admin_client
from tests.support.server import PASSWORD, Server
from tests.support.tokens import CALLBACK

FULLWIDTH = {c: chr(ord(c) - ord("a") + 0xFF41) for c in "abcdefghijklmnopqrstuvwxyz"}
CYRILLIC = {"a": "\u0430", "c": "\u0441", "e": "\u0435", "o": "\u043e", "p": "\u0440", "x": "\u0445"}

Variant = Callable[[str], str]

VARIANTS: dict[str, Variant] = {
    # Compatibility forms: NFKC maps each back to the ASCII name.
    "fullwidth": lambda name: "".join(FULLWIDTH.get(c, c) for c in name),
    "ligature-ffi": lambda name: name.replace("ffi", "\ufb03"),
    "roman-numeral-i": lambda name: name.replace("i", "\u2170", 1),
    # Case-mapping tricks: each lower()s or upper()s into ASCII.
    "kelvin-sign-k": lambda name: name.replace("k", "\u212a"),
    "dotless-i": lambda name: name.replace("i", "\u0131", 1),
    # Homoglyphs: different letters that look the same.
    "cyrillic-homoglyphs": lambda name: (
        "".join(CYRILLIC.get(c, c) for c in name.split("@")[0]) + "@" + name.split("@")[1]
    ),
    # Invisible characters.
    "zero-width-space": lambda name: name.replace("@", "\u200b@"),
    "zero-width-joiner": lambda name: name[:3] + "\u200d" + name[3:],
    "soft-hyphen": lambda name: name[:2] + "\u00ad" + name[2:],
    "byte-order-mark": lambda name: "\ufeff" + name,
    "right-to-left-override": lambda name: "\u202e" + name,
}


@pytest.fixture
def victim(server: Server) -> User:
    """A user whose name has every letter the variants replace (o, ffi, i, k, p, e, c, a)."""
    with server.ctx.db.write() as conn:
        user, _ = users.create_user(
            server.ctx,
            conn,
            server.org_id,
            username=f"office-kip-{secrets.token_hex(3)}@example.com",
            password=PASSWORD,
            actor=FIXTURE,
        )
    return user


@pytest.mark.attack("Unicode TR #36 §2 / OWASP ASVS 5.0 V6.3 (a look-alike username logs in as no one)")
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_variant_of_a_username_never_logs_in_as_the_user(server: Server, victim: User, variant: str) -> None:
    spoofed = VARIANTS[variant](victim.username)
    assert spoofed != victim.username
    app, _ = server.create_app()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    with server.client() as browser, nothing_issued(server):
        answer = authorize(browser, params, spoofed, PASSWORD).response
    assert answer.status_code == 401, answer.text
    assert "Please check your username and password" in answer.text
    assert "location" not in answer.headers


@pytest.fixture
def admin(server: Server) -> Iterator[httpx.Client]:
    with admin_client(server) as client:
        yield client


@pytest.mark.attack("Unicode TR #39 §4 / RFC 8265 §3.3 (admin API: a confusable twin of an existing user)")
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_admin_cannot_create_a_confusable_twin(
    server: Server, victim: User, admin: httpx.Client, variant: str
) -> None:
    body = {"username": VARIANTS[variant](victim.username), "password": "Twin-passw0rd"}
    with nothing_issued(server):
        answer = admin.post("/admin/api/v1/users", json=body)
    assert_api_error(answer, 400, "FIELD_INTEGRITY_EXCEPTION")


@pytest.mark.attack("Salesforce: usernames are unique and case-insensitive (a case-changed twin)")
def test_admin_cannot_create_an_upper_case_twin(server: Server, victim: User, admin: httpx.Client) -> None:
    with nothing_issued(server):
        answer = admin.post(
            "/admin/api/v1/users", json={"username": victim.username.upper(), "password": "Twin-passw0rd"}
        )
    assert_api_error(answer, 409, "DUPLICATE_VALUE")

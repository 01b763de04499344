"""Unit tests of the pure parts: record IDs, callback rules, PKCE, scopes, token shapes, layering."""

from __future__ import annotations

import ast
import base64
import hashlib
import hmac
import io
import logging
import sys
from pathlib import Path

import pytest

from forcegate import logs
from forcegate.ids import InvalidId, KeyPrefix, new_id, normalize_id, to15, to18
from forcegate.protocol.callbacks import InvalidCallbackUrl, validate_callback_url
from forcegate.protocol.errors import OAuthError
from forcegate.protocol.pkce import normalize_challenge_method, verify_code_verifier
from forcegate.protocol.requests import parse_token_request
from forcegate.protocol.tokens import (
    new_access_token,
    new_authorization_code,
    new_refresh_token,
    response_signature,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "forcegate"


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("00D20000000nV0a", "00D20000000nV0aEAE"),
        ("00DB0000000ToZ3", "00DB0000000ToZ3MAK"),
        ("005B0000005V71X", "005B0000005V71XIAS"),
    ],
)
def test_when_real_salesforce_ids_converted_then_checksums_match(id15: str, id18: str) -> None:
    assert to18(id15) == id18
    assert normalize_id(id15) == id18
    assert normalize_id(id18.lower()) == id18  # the 18-character form is case-insensitive
    assert normalize_id(id18.upper()) == id18
    assert to15(id18.lower()) == id15


def test_when_id_malformed_then_refused() -> None:
    for bad in ("", "00D", "00D20000000nV0aE", "00D20000000nV0a!!!", "00D20000000nV0aEA9", "0" * 19):
        with pytest.raises(InvalidId):
            normalize_id(bad)
    with pytest.raises(InvalidId):
        normalize_id("00D20000000nV0a", prefix=KeyPrefix.USER)


def test_when_new_id_made_then_prefixed_and_canonical() -> None:
    ids = {new_id(KeyPrefix.USER) for _ in range(200)}
    assert len(ids) == 200
    assert all(i.startswith("005") and len(i) == 18 and normalize_id(i) == i for i in ids)


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com/cb",
        "http://localhost:1717/OauthRedirect",
        "http://127.0.0.1:8080/cb",
        "http://[::1]:9000/cb",
        "com.example.app:/oauth2redirect",
        "myapp://callback",
        "https://x.example/cb?a=1",
    ],
)
def test_when_callback_allowed_then_kept_exactly(url: str) -> None:
    assert validate_callback_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/cb",
        "http://localhost.evil.com/cb",
        "http://10.0.0.1/cb",
        "javascript:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        "https://x.example/cb#frag",
        "https:///nohost",
        "",
        " https://a.b/c",
        "https://a.b/c d",
        "http://localhost:99999/cb",
    ],
)
def test_when_callback_unsafe_then_refused(url: str) -> None:
    with pytest.raises(InvalidCallbackUrl):
        validate_callback_url(url)


def test_when_pkce_parameters_checked_then_salesforce_leniencies_hold() -> None:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 171).digest()).decode().rstrip("=")
    assert normalize_challenge_method(challenge, None) == "S256"
    verify_code_verifier(challenge, "v" * 171)
    verify_code_verifier(None, None)  # no challenge, nothing to check
    for method in ("plain", "S512"):
        with pytest.raises(OAuthError):
            normalize_challenge_method(challenge, method)
    with pytest.raises(OAuthError) as missing:
        verify_code_verifier(challenge, None)
    assert missing.value.error == "invalid_grant"
    with pytest.raises(OAuthError) as wrong:
        verify_code_verifier(challenge, "w" * 171)
    assert wrong.value.error == "invalid_request"


def test_when_tokens_minted_then_shapes_are_what_clients_check() -> None:
    import re

    org = new_id(KeyPrefix.ORGANIZATION)
    assert re.fullmatch(r"(00D\w{12,15})![.\w]*", new_access_token(org))
    for _ in range(200):  # enough that some random parts held a "-" (turned into "." or "_")
        assert re.fullmatch(r"5Aep861[A-Za-z0-9_]{43}", new_refresh_token())  # Salesforce's prefix
        assert re.fullmatch(r"aPrx[A-Za-z0-9._]{43}", new_authorization_code())
    assert len({new_access_token(org) for _ in range(1000)}) == 1000


def test_when_signature_computed_then_matches_omniauth_vector() -> None:
    # omniauth-salesforce's spec vector (salesforce-wire.md §2.2)
    assert (
        response_signature(
            "Consumer Secret",
            "https://login.salesforce.com/id/00Dd0000000d45TEBQ/005d0000000fyGPCCY",
            "1331142541514",
        )
        == base64.b64encode(
            hmac.new(
                b"Consumer Secret",
                b"https://login.salesforce.com/id/00Dd0000000d45TEBQ/005d0000000fyGPCCY1331142541514",
                hashlib.sha256,
            ).digest()
        ).decode()
    )


def test_when_basic_and_body_client_ids_differ_then_refused() -> None:
    basic = "Basic " + base64.b64encode(b"key-a:secret").decode()
    with pytest.raises(OAuthError) as refused:
        parse_token_request([("grant_type", "authorization_code"), ("client_id", "key-b")], basic)
    assert refused.value.error == "invalid_client"
    parsed = parse_token_request([("grant_type", "authorization_code"), ("client_id", "key-a")], basic)
    assert (parsed.client_id, parsed.client_secret, parsed.client_auth_basic) == ("key-a", "secret", True)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module if node.module.startswith("forcegate") else node.module.split(".")[0])
    return names


def test_when_protocol_core_inspected_then_it_imports_no_web_framework_or_sql() -> None:
    for path in (SRC / "protocol").glob("*.py"):
        imported = _imports(path)
        assert not imported & {"starlette", "sqlalchemy", "uvicorn", "jinja2"}, path
        assert not {
            m for m in imported if m.startswith(("forcegate.storage", "forcegate.web", "forcegate.flows"))
        }


def test_when_flows_inspected_then_sql_stays_in_the_repository_layer() -> None:
    for path in (SRC / "flows").glob("*.py"):
        imported = _imports(path)
        assert "starlette" not in imported, path
        assert "forcegate.storage.schema" not in imported, path


@pytest.mark.parametrize(
    ("ms", "expected"),
    [
        (1795942397357, "2026-11-29T08:53:17.357+0000"),
        (0, "1970-01-01T00:00:00.000+0000"),
        (-1, "1969-12-31T23:59:59.999+0000"),
        # Far from 1970 a float of seconds cannot hold the milliseconds: the formatting is integral.
        (170591757339409, "7375-11-02T15:15:39.409+0000"),
    ],
)
def test_when_datetime_formatted_then_salesforce_shape_to_the_millisecond(ms: int, expected: str) -> None:
    from forcegate.data.values import format_datetime_ms

    assert format_datetime_ms(ms) == expected


def test_log_formatter_escapes_the_message_and_keeps_tracebacks_readable() -> None:
    """Control characters in a message are written out (one record, one line); a traceback, which is
    forcegate's own text, keeps its lines."""
    output = io.StringIO()
    record = logging.LogRecord(
        "forcegate", logging.ERROR, __file__, 1, "boom %s", ("a\nb\x1b\u2028\x85c",), None
    )
    try:
        raise ValueError("inner")
    except ValueError:
        record.exc_info = sys.exc_info()
    logs.handler(output).emit(record)
    lines = output.getvalue().splitlines()
    assert lines[0].endswith("boom a\\nb\\x1b\\u2028\\x85c")
    assert lines[1] == "Traceback (most recent call last):" and lines[-1] == "ValueError: inner"


def test_when_an_oauth_error_is_logged_then_it_reads_code_description_and_reason() -> None:
    """The precise reason goes to the logs (str), never to the wire (as_json)."""
    refined = OAuthError("invalid_grant", "authentication failure").with_reason("wrong password")
    assert str(refined) == "invalid_grant: authentication failure (wrong password)"
    assert str(refined.with_reason("")) == "invalid_grant: authentication failure"
    assert refined.as_json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    described = refined.with_description("expired authorization code")  # refines, keeps the reason
    assert (described.error, described.description, described.reason) == (
        "invalid_grant",
        "expired authorization code",
        "wrong password",
    )
    assert described.status == refined.status == 400 and refined.description == "authentication failure"
    copied = refined.copy()  # a fresh instance to raise, the same in every field
    assert copied is not refined
    assert (copied.error, copied.description, copied.status, copied.reason) == (
        "invalid_grant",
        "authentication failure",
        400,
        "wrong password",
    )

"""Golden files: a wire exchange, normalised, compared with (or written to) a JSON file in the repo.

A golden file pins a response's *shape*: status, the headers clients read, every key and every
stable value of the body. What changes from run to run (IDs, tokens, timestamps, signatures, the
test server's port) is replaced by a placeholder that still says what it was, so the file is the
same on every run and on every storage backend:

- an 18-character Salesforce ID (recognised by its checksum) becomes ``<id18:005>``, its key
  prefix kept; its 15-character form, where the 18-character one was seen, ``<id15:005>``;
- the test server's origin becomes ``<server>``; a URL's query and fragment parameters are
  normalised by name, as JSON keys are;
- a JWT becomes ``{"<jwt>": {"header": ..., "claims": ...}}``, decoded, its volatile claims
  normalised, so its claim set is pinned;
- values named as tokens, codes, signatures or times (``access_token``, ``issued_at``...) become
  ``<token>``, ``<epoch-ms>``...; ISO timestamps anywhere become ``<datetime>``;
- strings the test registers (a consumer key, a secret) become the placeholder it gives.

``FORCEGATE_UPDATE_GOLDEN=1`` writes the files instead of comparing (``make golden``). Each file is
written once per run; the other backend's run then compares against it, so a shape that depends on
the backend fails even while regenerating.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest

__all__ = [
    "GOLDEN_DIR",
    "UPDATE_VARIABLE",
    "Normaliser",
    "assert_golden",
    "exchange",
    "render",
    "updating",
]

UPDATE_VARIABLE = "FORCEGATE_UPDATE_GOLDEN"
GOLDEN_DIR = Path(__file__).resolve().parents[1] / "conformance" / "golden"

# The headers a client reads; the others (date, server, content-length...) are not part of the shape.
PINNED_HEADERS = (
    "access-control-allow-origin",
    "allow",
    "cache-control",
    "content-type",
    "forcegate-hint",
    "location",
    "pragma",
    "retry-after",
    "sforce-limit-info",
    "www-authenticate",
)

# Values normalised by the name they are sent under (a JSON key, a form or URL parameter, an XML
# element): what each one is, never its value.
BY_NAME: dict[str, str] = {
    "access_token": "<token>",
    "refresh_token": "<token>",
    "code": "<code>",
    "device_code": "<device-code>",
    "user_code": "<user-code>",
    "signature": "<signature>",
    "issued_at": "<epoch-ms>",
    "sessionId": "<token>",
    "token": "<token>",
    "client_secret": "<consumer-secret>",
    "consumer_key": "<consumer-key>",
    "consumer_secret": "<consumer-secret>",
    "security_token": "<security-token>",
    "created_ms": "<epoch-ms>",
    "modified_ms": "<epoch-ms>",
    "iat": "<epoch-s>",
    "exp": "<epoch-s>",
    "nbf": "<epoch-s>",
    "auth_time": "<epoch-s>",
    "updated_at": "<epoch-s>",
    "at_hash": "<hash>",
    "c_hash": "<hash>",
    "jti": "<jti>",
    "kid": "<kid>",
    "n": "<rsa-modulus>",
    "x5c": "<certificate>",
    "x5t": "<thumbprint>",
    "x5t#S256": "<thumbprint>",
}

_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{15}(?:[A-Za-z0-5]{3})?(?![A-Za-z0-9])")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
# A 405's list of allowed methods comes from a set (Starlette's Route.methods): its order changes with
# each process's string hashing, so the list is pinned sorted (a finding of these tests).
_ALLOWED_METHODS = re.compile(r"(Allowed are )([A-Z]+(?:,[A-Z]+)*)")
_JWT = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\Z")


def updating() -> bool:
    return os.environ.get(UPDATE_VARIABLE, "") not in ("", "0")


def _checksum(id15: str) -> str:
    """The 18-character ID's suffix (salesforce-wire.md: where the upper-case letters are)."""
    out = []
    for chunk in range(3):
        bits = sum(1 << i for i in range(5) if "A" <= id15[chunk * 5 + i] <= "Z")
        out.append(_CHECKSUM_ALPHABET[bits])
    return "".join(out)


def _is_id18(candidate: str) -> bool:
    # A 15-letter word with a valid checksum would pass too: require a digit, as every ID has one in
    # its key prefix or its counter.
    return (
        len(candidate) == 18
        and _checksum(candidate[:15]) == candidate[15:]
        and any(c.isdigit() for c in candidate[:15])
    )


def _b64json(part: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def _jwt_header(text: str) -> dict[str, Any] | None:
    """The decoded header if ``text`` is a JWT (a device code can look like one: three dotted parts)."""
    if not _JWT.match(text):
        return None
    header = _b64json(text.split(".", 1)[0])
    return header if isinstance(header, dict) and "alg" in header else None


class Normaliser:
    """Turns one exchange's volatile values into placeholders (see the module docstring)."""

    def __init__(self, server_url: str, known: Mapping[str, str] | None = None) -> None:
        self.server_url = server_url.rstrip("/")
        # Longest first, so a value that contains another is replaced whole.
        self.known = dict(sorted((known or {}).items(), key=lambda kv: -len(kv[0])))
        self._ids15: set[str] = set()

    # -- values ---------------------------------------------------------------------------------

    def value(self, value: Any, name: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, name) for v in value]
        if isinstance(value, str) and _jwt_header(value) is not None:
            return self.string(value)  # a JWT, whatever it is named: its claim set is the shape
        if name in BY_NAME and value not in (None, "", [], False):
            return BY_NAME[name]
        if isinstance(value, str):
            return self.string(value)
        return value

    def string(self, text: str) -> Any:
        header = _jwt_header(text)
        if header is not None:
            claims = _b64json(text.split(".")[1])
            return {"<jwt>": {"header": self.value(header), "claims": self.value(claims)}}
        if text.startswith(("http://", "https://", "/")) and " " not in text:
            return self.url(text)
        return self.text(text)

    def text(self, text: str) -> str:
        for value, placeholder in self.known.items():
            text = text.replace(value, placeholder)
        text = text.replace(self.server_url, "<server>")
        text = _DATETIME.sub("<datetime>", text)
        text = _ALLOWED_METHODS.sub(lambda m: m.group(1) + ",".join(sorted(m.group(2).split(","))), text)
        return _ID_CANDIDATE.sub(self._id, text)

    def _id(self, match: re.Match[str]) -> str:
        candidate = match.group(0)
        if _is_id18(candidate):
            return f"<id18:{candidate[:3]}>"
        if len(candidate) == 15 and candidate in self._ids15:
            return f"<id15:{candidate[:3]}>"
        return candidate

    def url(self, url: str) -> str:
        """A URL with its origin, IDs and parameters normalised (the parameters by name)."""
        parts = urlsplit(url)
        if not parts.query and not parts.fragment:
            return self.text(url)
        base = url.split("?", 1)[0].split("#", 1)[0]
        out = self.text(base)
        if parts.query:
            out += "?" + self._params(parts.query)
        if parts.fragment:
            out += "#" + self._params(parts.fragment)
        return out

    def _params(self, encoded: str) -> str:
        pairs = parse_qsl(encoded, keep_blank_values=True)
        rendered = []
        for key, raw in pairs:
            value = self.value(raw, key)
            if isinstance(value, dict):  # a JWT in a fragment: say so, its claims are pinned elsewhere
                value = "<jwt>"
            text = str(value)
            # Placeholders stay readable; everything else is shown encoded, as it was sent.
            rendered.append(f"{key}={text if text.startswith('<') else quote(text, safe='')}")
        return "&".join(rendered)

    def remember_ids(self, *texts: str) -> None:
        """Note the 18-character IDs in ``texts``, so their 15-character forms are recognised too."""
        for text in texts:
            for match in _ID_CANDIDATE.finditer(text):
                if _is_id18(match.group(0)):
                    self._ids15.add(match.group(0)[:15])

    # -- exchanges ------------------------------------------------------------------------------

    def headers(self, response: httpx.Response) -> dict[str, Any]:
        pinned: dict[str, Any] = {}
        for name in PINNED_HEADERS:
            if name in response.headers:
                value = response.headers[name]
                if name == "location":
                    pinned[name] = self.url(value)
                elif name == "allow":
                    pinned[name] = ", ".join(sorted(m.strip() for m in value.split(",")))
                elif name == "sforce-limit-info":
                    pinned[name] = re.sub(r"api-usage=\d+/", "api-usage=<int>/", value)
                else:
                    pinned[name] = self.text(value)
        return pinned

    def body(self, response: httpx.Response, shape: Callable[[Any], Any] | None = None) -> Any:
        content_type = response.headers.get("content-type", "")
        if not response.content:
            return None
        if "json" in content_type:
            body = response.json()
            if shape is not None:
                body = shape(body)
            return self.value(body)
        if "xml" in content_type:
            return self._xml(response.text)
        if "html" in content_type:
            # A page's wording is not a wire shape; what it says went wrong is.
            found = {
                part: re.search(pattern, response.text, re.S)
                for part, pattern in (
                    ("title", r"<title>(.*?)</title>"),
                    ("h1", r"<h1[^>]*>(.*?)</h1>"),
                    ("alert", r'role="alert"[^>]*>(.*?)</p>'),
                )
            }
            return {
                "<html>": {
                    part: self.text(" ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()))
                    for part, match in found.items()
                    if match
                }
            }
        return self.text(response.text)

    def _xml(self, text: str) -> list[str]:
        """The XML text, one element per line, each element's text normalised by its name."""

        def element(match: re.Match[str]) -> str:
            local = match.group(2)
            inner = match.group(4)
            value: Any = (BY_NAME.get(local) if inner else None) or self.string(inner)
            if not isinstance(value, str):
                value = json.dumps(value, sort_keys=True)
            return f"<{match.group(1)}{match.group(3) or ''}>{value}</{match.group(1)}>"

        lines = re.sub(r">\s*<", ">\n<", text.strip()).splitlines()
        # Split first: a placeholder's angle brackets must not be read as markup.
        return [re.sub(r"<((?:[\w.-]+:)?([\w.-]+))(\s[^>]*)?>([^<]*)</\1>", element, line) for line in lines]

    def response(
        self, response: httpx.Response, request: str | None = None, shape: Callable[[Any], Any] | None = None
    ) -> dict[str, Any]:
        """One exchange as a golden file holds it. ``shape`` filters the decoded JSON first (for
        what other tests add to the shared org, such as custom objects)."""
        self.remember_ids(response.text, *response.headers.values())
        document: dict[str, Any] = {
            "status": response.status_code,
            "headers": self.headers(response),
            "body": self.body(response, shape),
        }
        if request is not None:
            document["request"] = self.text(request)
        return document


def exchange(
    normaliser: Normaliser,
    response: httpx.Response,
    request: str | None = None,
    shape: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """Shorthand: ``normaliser.response(...)`` with the request described as METHOD path."""
    if request is None:
        request = f"{response.request.method} {response.request.url.path}"
    return normaliser.response(response, request, shape)


# Each file this run wrote (updating) or compared, and its text: the second backend's run compares
# with the first's even while updating.
_SEEN: dict[Path, str] = {}


def render(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def assert_golden(name: str, document: Any, directory: Path = GOLDEN_DIR) -> None:
    """Compare ``document`` with ``directory/name.json``; with FORCEGATE_UPDATE_GOLDEN=1, write it
    (once per run). A mismatch fails with a unified diff, golden file first."""
    path = directory / f"{name}.json"
    actual = render(document)
    if path in _SEEN:
        expected, origin = _SEEN[path], "this run's earlier result (another backend?)"
    elif updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != actual:
            path.write_text(actual, encoding="utf-8")
        _SEEN[path] = actual
        return
    elif not path.exists():
        pytest.fail(f"no golden file {path}: create it with {UPDATE_VARIABLE}=1 (make golden)", pytrace=False)
    else:
        expected, origin = path.read_text(encoding="utf-8"), str(path)
    _SEEN.setdefault(path, expected)
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"golden: {origin}",
            tofile="actual",
        )
        try:
            changes = list(_changes(json.loads(expected), json.loads(actual)))
        except json.JSONDecodeError:  # a golden file edited by hand into invalid JSON: the diff says where
            changes = []
        listed = "\n".join(f"  {change}" for change in changes[:_MAX_CHANGES_LISTED])
        if len(changes) > _MAX_CHANGES_LISTED:
            listed += f"\n  ... and {len(changes) - _MAX_CHANGES_LISTED} more"
        pytest.fail(
            f"{path.name} differs from the wire's answer "
            f"(if the change is intended: make golden, or {UPDATE_VARIABLE}=1 .venv/bin/pytest <this test>):\n"
            f"{listed}\n" + "".join(diff),
            pytrace=False,
        )


_MAX_CHANGES_LISTED = 20


def _changes(expected: Any, actual: Any, where: str = "") -> Iterable[str]:
    """Each difference by its JSON path (golden value -> actual value): the diff's line numbers do not
    say which field of which exchange changed."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            path = f"{where}.{key}" if where else key
            if key not in actual:
                yield f"{path}: removed (was {json.dumps(expected[key])[:80]})"
            elif key not in expected:
                yield f"{path}: added {json.dumps(actual[key])[:80]}"
            else:
                yield from _changes(expected[key], actual[key], path)
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            yield from _changes(e, a, f"{where}[{i}]")
    elif expected != actual:
        yield f"{where}: {json.dumps(expected)[:80]} -> {json.dumps(actual)[:80]}"

"""Property tests (hypothesis) of the parsers that read what an unauthenticated client sends: the token
endpoint's form (any body, content type and encoding), the JWT bearer assertion, the SOAP envelope,
and the record-ID codec.

Over HTTP against a server of their own on both backends: the answer is never a 5xx, refusals come
in the endpoint's error shape (OAuth JSON, SOAP fault), and the server logs no error. The ID codec
has pure properties: every string is either an ID or ``InvalidId``, and both forms round-trip.
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from forcegate.domain import ConnectedApp, User
from forcegate.ids import InvalidId, KeyPrefix, new_id, normalize_id, to15, to18
from forcegate.org.access import grant_access, update_org
from forcegate.storage import repositories as repo
from forcegate.web.soap import MAX_SOAP_BYTES
from tests.support.actors import FIXTURE
from tests.support.fuzzing import ServerLog, examples, fuzz_server_for, server_log, sign_json
from tests.support.jwt_bearer import GRANT_TYPE, KeyPair, key_pair
from tests.support.server import PASSWORD, Server

__all__ = ["server_log"]  # the fixture, imported for the tests below

TOKEN = "/services/oauth2/token"
SOAP = "/services/Soap/u/62.0"


@dataclass
class Org:
    """The fuzz server and the real names that let inputs get past the first check."""

    server: Server
    app: ConnectedApp  # admin-approved, with a certificate (JWT bearer), client credentials
    secret: str
    user: User
    keys: KeyPair
    client: httpx.Client  # one for all examples: a new client costs more than the request


@pytest.fixture(scope="module")
def org(backend: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Org]:
    keys = key_pair()
    for server in fuzz_server_for(backend[0], tmp_path_factory.mktemp("fuzz-parsers")):
        user = server.create_user()
        app, secret = server.create_app(
            permitted_users="admin_approved",
            client_credentials_enabled=True,
            client_credentials_user=user.username,
        )
        app = server.update_app(app, certificate_pem=keys.certificate_pem)
        with server.ctx.db.write() as conn:
            grant_access(server.ctx, conn, app, profile="Standard User", actor=FIXTURE)
            # Every parser's input reaches its flow: SOAP login() and the password grant on, and the
            # loopback trusted (no security token appended to passwords).
            org = repo.org_by_id(conn, server.org_id)
            assert org is not None
            update_org(
                server.ctx, conn,
                org,
                {"allow_soap_login": True, "allow_username_password_flows": True,
                 "trusted_ip_ranges": ["127.0.0.1/32"]},
            actor=FIXTURE, )  # fmt: skip
        with server.client() as client:
            yield Org(server, app, secret, user, keys, client)


def _below_500(response: httpx.Response, sent: object) -> None:
    assert response.status_code < 500, (sent, response.status_code, response.text[:500])


# --- the token endpoint's form ---------------------------------------------------------------------

FIELDS = ["grant_type", "client_id", "client_secret", "code", "redirect_uri", "code_verifier",
          "refresh_token", "scope", "username", "password", "assertion", "format", "response_type",
          "device_code", "x"]  # fmt: skip
GRANT_TYPES = ["authorization_code", "refresh_token", GRANT_TYPE, "device", "password", "client_credentials",
               "urn:ietf:params:oauth:grant-type:device_code", "", "PASSWORD", "token"]  # fmt: skip
# Characters that have crashed parsers and databases before: NUL (PostgreSQL refuses it in text), a
# lone surrogate (no UTF-8 spelling), a BOM, CR/LF, a fullwidth letter (NFKC folds it), a percent.
TROUBLE = ["\x00", "\ud800", "\ufeff", "\r\n", "\uff41", "%", "%00", "+"]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=ISO-8859-1",
    "multipart/form-data; boundary=fuzz",
    "multipart/form-data",
    "text/plain",
    "application/json",
    "",
    "application/x-www-form-urlencoded; charset=utf-16",
]
text = st.text(max_size=40)


@st.composite
def token_requests(draw: st.DrawFn, org: Org) -> tuple[bytes, dict[str, str], str]:
    """(body, headers, query string): a form of known and unknown fields with real or junk values,
    encoded in one of the ways clients (and attackers) send it."""
    real = st.sampled_from(
        [org.app.consumer_key, org.secret, org.user.username, PASSWORD, "api refresh_token"]
    )
    values = st.one_of(
        real,
        st.tuples(real, st.sampled_from(TROUBLE), st.sampled_from([1, 300])).map(
            lambda v: v[0] + v[1] * v[2]
        ),
        text,
        st.sampled_from(GRANT_TYPES),
    )
    # Mostly a real grant with some of its fields, so inputs reach the grants; then any extra pairs
    # (unknown names, duplicates) in any order.
    form = draw(
        st.fixed_dictionaries(
            {"grant_type": st.sampled_from(GRANT_TYPES)}, optional=dict.fromkeys(FIELDS[1:], values)
        )
    )
    extra = draw(st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=3))
    pairs = draw(st.permutations([*form.items(), *extra]))
    encoding = draw(st.sampled_from(["urlencoded", "multipart", "latin-1", "raw"]))
    if encoding == "urlencoded":
        body = "&".join(f"{quote_plus(k)}={quote_plus(v, errors='surrogatepass')}" for k, v in pairs).encode()
    elif encoding == "latin-1":
        body = "&".join(f"{k}={v}" for k, v in pairs).encode("latin-1", errors="replace")
    elif encoding == "multipart":
        body = b"".join(
            b'--fuzz\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
            % (k.encode(), v.encode("utf-8", errors="surrogatepass"))
            for k, v in pairs
        ) + draw(st.sampled_from([b"--fuzz--\r\n", b"", b"--fuzz", b"--other--\r\n"]))
    else:
        body = draw(st.binary(max_size=200))
    # The content type that matches the body, first (hypothesis prefers it); then any.
    matching = "multipart/form-data; boundary=fuzz" if encoding == "multipart" else CONTENT_TYPES[0]
    content_type = draw(
        st.one_of(st.just(matching), st.sampled_from(CONTENT_TYPES), st.from_regex(r"\A[ -~]{0,40}\Z"))
    )
    headers = {"Content-Type": content_type.strip()}  # HTTP itself trims header values
    authorization = draw(
        st.one_of(
            st.none(),
            st.binary(max_size=40).map(lambda b: "Basic " + base64.b64encode(b).decode()),
            st.from_regex(r"\A(Basic|basic|Bearer) [ -~]{0,40}\Z"),
            st.just(f"Basic {base64.b64encode(f'{org.app.consumer_key}:{org.secret}'.encode()).decode()}"),
        )
    )
    if authorization is not None:
        headers["Authorization"] = authorization.strip()  # HTTP itself trims header values
    query = draw(st.one_of(st.just(""), st.from_regex(r"\A[a-z_=&%0-9A-F]{0,30}\Z")))
    return body, headers, query


@examples(120)
@given(data=st.data())
def test_token_endpoint_answers_any_form_with_an_oauth_error_or_a_token(
    org: Org, server_log: ServerLog, data: st.DataObject
) -> None:
    body, headers, query = data.draw(token_requests(org))
    with server_log.no_new_errors((body, headers, query)):
        response = org.client.post(f"{TOKEN}?{query}", content=body, headers=headers)
    _below_500(response, (body, headers, query))
    answer = response.json()
    assert isinstance(answer, dict) and (response.status_code == 200 or "error" in answer), answer


# --- the JWT bearer assertion ----------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False),
        st.text(max_size=20),
    ),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(text, children, max_size=3)),
    max_leaves=8,
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: object) -> str:
    return _b64url(json.dumps(value).encode())


def claims(org: Org) -> st.SearchStrategy[dict[str, Any]]:
    """The right claims with one of them broken: removed, wrong, or of the wrong type; or one of the
    optional ones (``nbf``, ``iat``, ``jti``) added with any value."""

    def from_now(seconds: int) -> int:  # computed when drawn, so replays make the same choices
        return org.server.clock.now_ms() // 1000 + seconds

    near = st.integers(min_value=-600, max_value=600).map(from_now)
    wrong: dict[str, st.SearchStrategy[Any]] = {
        "iss": st.one_of(text, json_values),
        "sub": st.one_of(text, json_values, st.sampled_from(TROUBLE).map(lambda t: org.user.username + t)),
        "aud": st.one_of(st.just([org.server.url, "x"]), st.just(org.server.url + "/"), text, json_values),
        "exp": st.one_of(
            near,
            st.integers(min_value=0, max_value=600).map(lambda s: from_now(s) * 1000),  # ms (sfdx)
            st.integers(),
            st.integers(min_value=10**18, max_value=10**40),
            st.floats(),
            st.from_regex(r"\A[0-9]{1,25}\Z"),
            json_values,
        ),
        "nbf": st.one_of(near, st.floats(), json_values),
        "iat": st.one_of(near, st.floats(), json_values),
        "jti": st.one_of(text, json_values),
    }

    @st.composite
    def broken(draw: st.DrawFn) -> dict[str, Any]:
        values = {
            "iss": org.app.consumer_key,
            "sub": org.user.username,
            "aud": org.server.url,
            "exp": from_now(60),
        }
        name = draw(st.sampled_from([None, *wrong]))
        if name in values and draw(st.integers(0, 3)) == 0:
            del values[name]
        elif name is not None:
            values[name] = draw(wrong[name])
        return values

    return broken()


def signed(org: Org) -> st.SearchStrategy[str]:
    """Assertions signed with the app's key: only the claims are wrong, so every later check runs."""
    return claims(org).map(lambda c: sign_json(c, org.keys.private))


def malformed(org: Org) -> st.SearchStrategy[str]:
    """Assertions that are not an RS256 JWS of a claims object: junk headers and segments, alg none."""
    header = st.one_of(json_values, st.just({"alg": "RS256"}), st.just({"alg": "HS256", "typ": "JWT"}))
    payload = st.one_of(json_values, claims(org))
    segment = st.one_of(st.binary(max_size=60).map(_b64url), st.from_regex(r"\A[ -~]{0,30}\Z"))
    return st.one_of(
        st.builds(
            lambda h, p, s: f"{_segment(h)}.{_segment(p)}.{_b64url(s)}",
            header,
            payload,
            st.binary(max_size=300),
        ),
        claims(org).map(lambda c: f"{_segment({'alg': 'none'})}.{_segment(c)}."),
        st.lists(segment, max_size=5).map(".".join),
        # NUL and lone surrogates never reach the grant: the form parser refuses them in any parameter
        # with invalid_request (tests/attacks/test_http_hygiene.py), so they are not "assertions".
        st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=200),
    )


REFUSALS = ("invalid_grant", "invalid_client_id", "invalid_client", "bad_jti_claim", "invalid_app_access",
            "invalid_request", "app_blocked")  # fmt: skip


def _jwt_bearer(org: Org, server_log: ServerLog, assertion: str) -> dict[str, Any]:
    with server_log.no_new_errors(assertion):
        response = org.client.post(TOKEN, data={"grant_type": GRANT_TYPE, "assertion": assertion})
    _below_500(response, assertion)
    answer: dict[str, Any] = response.json()
    assert ("access_token" in answer) if response.status_code == 200 else (answer["error"] in REFUSALS), (
        answer
    )
    return answer


@examples(80)
@given(data=st.data())
def test_jwt_bearer_answers_any_signed_claims_with_an_oauth_error_or_a_token(
    org: Org, server_log: ServerLog, data: st.DataObject
) -> None:
    _jwt_bearer(org, server_log, data.draw(signed(org)))


@examples(60)
@given(data=st.data())
def test_jwt_bearer_answers_any_malformed_assertion_with_invalid_grant(
    org: Org, server_log: ServerLog, data: st.DataObject
) -> None:
    answer = _jwt_bearer(org, server_log, data.draw(malformed(org)))
    assert answer["error"] in ("invalid_grant", "invalid_client_id"), answer


# --- the SOAP envelope -----------------------------------------------------------------------------

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"
# Text XML 1.0 can carry (no surrogates, no control characters); the others come in as tricks below.
xml_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=60)
DOCTYPES = [
    "",
    '<!DOCTYPE e [<!ENTITY x "y">]>',
    '<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
    '<!DOCTYPE e SYSTEM "http://127.0.0.1:1/x.dtd">',
    '<!DOCTYPE e [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p"> %p;]>',
]
DECLARATIONS = ["", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-8"?>',
                '<?xml version="1.0" encoding="UTF-16"?>', '<?xml version="1.0" encoding="x-fuzz"?>',
                '<?xml version="1.1" encoding="ISO-8859-1"?>', "<?pi stuff?>"]  # fmt: skip


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@st.composite
def envelopes(draw: st.DrawFn, org: Org) -> bytes:
    """Envelopes right and wrong: namespaces, operations, parameters (escaped or raw, entity
    references, huge), headers, DOCTYPEs and declarations."""
    namespace = draw(
        st.one_of(
            st.just(SOAP_ENV), st.sampled_from(["http://www.w3.org/2003/05/soap-envelope", "", "urn:x"])
        )
    )
    operation = draw(
        st.one_of(st.sampled_from(["login", "logout"]), st.sampled_from(["query", "", "x:login"]))
    )
    operation_ns = draw(st.sampled_from([PARTNER, "", "urn:enterprise.soap.sforce.com"]))
    value = st.one_of(
        st.sampled_from([org.user.username, PASSWORD]),
        st.sampled_from([org.user.username, PASSWORD]).map(lambda v: v.upper()),
        xml_text.map(_escape),
        xml_text.map(_escape),
        st.integers(min_value=1, max_value=MAX_SOAP_BYTES + 10).map(lambda n: "a" * n),
        # references to entities that are not declared or characters XML does not allow, CDATA, markup
        st.sampled_from(
            ["&x;", "&amp;", "&#0;", "&#xD800;", "&#1114112;", "<![CDATA[<a>]]>", "<b/>", "\x01", "\x00"]
        ),
    )
    params = draw(
        st.lists(st.tuples(st.sampled_from(["username", "password", "x", "p:username"]), value), max_size=3)
    )
    session = draw(st.one_of(st.none(), value))
    inner = "".join(f"<{name}>{v}</{name}>" for name, v in params)
    header = f"<s:Header><SessionHeader><sessionId>{session}</sessionId></SessionHeader></s:Header>"
    element = f'<{operation} xmlns="{operation_ns}">{inner}</{operation}>' if operation else inner
    # A DOCTYPE, or a body cut short, one time in four: both end at the parser, which is the
    # point of the rest of the time too.
    doctype = draw(st.sampled_from(DOCTYPES)) if draw(st.integers(0, 3)) == 0 else ""
    declaration = draw(st.sampled_from(DECLARATIONS)) if draw(st.integers(0, 3)) == 0 else DECLARATIONS[2]
    document = (
        declaration
        + doctype
        + f'<s:Envelope xmlns:s="{namespace}" xmlns:p="{PARTNER}">{header if session is not None else ""}'
        + f"<s:Body>{element}</s:Body></s:Envelope>"
    )
    raw = document.encode("utf-8")
    if draw(st.integers(0, 3)) == 0:
        return raw[: draw(st.integers(min_value=0, max_value=len(raw)))]
    return raw


def _soap(org: Org, server_log: ServerLog, body: bytes, version: str, content_type: str) -> httpx.Response:
    with server_log.no_new_errors(body):
        response = org.client.post(
            f"/services/Soap/u/{version}", content=body, headers={"Content-Type": content_type}
        )
    # SOAP 1.1 answers a fault with 500 (salesforce-wire.md §8.2): a 500 must be a fault, never a crash.
    fault = "<soapenv:Fault>" in response.text
    assert response.status_code < 500 or (response.status_code == 500 and fault), (body, response.text[:300])
    assert fault or "<loginResponse>" in response.text or "<logoutResponse/>" in response.text, (
        body,
        response.text[:300],
    )
    return response


@examples(100)
@given(data=st.data())
def test_soap_answers_any_envelope_with_a_fault_or_a_result(
    org: Org, server_log: ServerLog, data: st.DataObject
) -> None:
    _soap(org, server_log, data.draw(envelopes(org)), "62.0", "text/xml; charset=utf-8")


@examples(30)
@given(
    body=st.one_of(st.binary(max_size=300), st.just(b"<a/>")),
    version=st.sampled_from(["62.0", "20.0", "x", "62.0 ", "99.0"]),
    content_type=st.sampled_from(["text/xml", "application/soap+xml", "", "text/xml; charset=latin-1"]),
)
def test_soap_answers_any_body_version_and_content_type_with_a_fault(
    org: Org, server_log: ServerLog, body: bytes, version: str, content_type: str
) -> None:
    assert "<soapenv:Fault>" in _soap(org, server_log, body, version, content_type).text


# --- the ID codec (pure) ---------------------------------------------------------------------------

BASE62 = string.digits + string.ascii_letters
ids15 = st.text(alphabet=BASE62, min_size=15, max_size=15)


@examples(300)
@given(ids15)
def test_an_id_round_trips_through_both_forms(id15: str) -> None:
    id18 = to18(id15)
    assert len(id18) == 18 and id18[:15] == id15 and all(c in BASE62 for c in id18)
    assert to15(id18) == id15 and to15(id15) == id15
    assert normalize_id(id15) == id18
    # The 18-character form is case-insensitive: its suffix restores the case of the first 15.
    for spelling in (id18, id18.upper(), id18.lower(), id18.swapcase()):
        assert normalize_id(spelling) == id18


@examples(200)
@given(ids15, st.integers(min_value=0, max_value=14))
def test_the_checksum_tells_ids_that_differ_only_in_case_apart(id15: str, position: int) -> None:
    assume(id15[position].isalpha())
    other = id15[:position] + id15[position].swapcase() + id15[position + 1 :]
    assert to18(id15) != to18(other)
    assert to18(id15).lower()[:15] == to18(other).lower()[:15]


@examples(300)
@given(
    st.one_of(
        st.text(max_size=25),
        st.text(min_size=15, max_size=15),
        st.text(min_size=18, max_size=18),
        ids15.map(lambda i: to18(i)[:15] + "".join(reversed(to18(i)[15:]))),
        ids15.flatmap(lambda i: st.text(min_size=3, max_size=3).map(lambda s: i + s)),
    ),
    st.one_of(st.none(), st.sampled_from([KeyPrefix.USER, KeyPrefix.CONNECTED_APP, "001"])),
)
def test_any_string_is_an_id_or_invalid_id(value: str, prefix: str | None) -> None:
    try:
        canonical = normalize_id(value, prefix)
    except InvalidId:
        return
    assert len(canonical) == 18 and all(c in BASE62 for c in canonical), canonical
    assert canonical.lower() == value.lower() if len(value) == 18 else canonical[:15] == value
    assert prefix is None or canonical.startswith(prefix)
    assert normalize_id(canonical) == canonical


@examples(20)
@given(st.sampled_from([KeyPrefix.USER, KeyPrefix.CONNECTED_APP, KeyPrefix.ORGANIZATION, "001"]))
def test_new_ids_are_canonical(prefix: str) -> None:
    made = new_id(prefix)
    assert normalize_id(made, prefix) == made

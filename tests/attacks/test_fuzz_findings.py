"""What the fuzzers (``tests/*/test_fuzz_*.py``) found: each input that made the server answer 500 or
log an unhandled exception, replayed over HTTP, with Salesforce's answer asserted instead."""

from __future__ import annotations

import pytest

from forcegate.domain import ConnectedApp, User
from forcegate.org.access import grant_access
from tests.attacks.unchanged import nothing_issued
from tests.support.actors import FIXTURE
from tests.support.data_api import DATA, bearer, token_for
from tests.support.fuzzing import sign_json
from tests.support.jwt_bearer import GRANT_TYPE, KeyPair, key_pair
from tests.support.server import Server

# Malformed input answered with a crash: CWE-20 (improper input validation), and OWASP ASVS 5.0 V16.5
# (errors are handled: a generic, safe answer, and the application keeps working).
SOURCE = "CWE-20; OWASP ASVS 5.0 V16.5"


@pytest.mark.attack(
    "CWE-20; OWASP ASVS 5.0 V16.5 (errors handled, never a crash): tests/data_api/test_fuzz_data_api.py"
)
@pytest.mark.parametrize("fields", ["", ",", " , "])
def test_when_a_user_record_is_read_with_an_empty_field_list_then_only_its_attributes(
    server: Server, fields: str
) -> None:
    """``?fields=`` naming no field asked the database for a row of no columns on the objects that are
    views of identity tables (User, Organization, LoginHistory): 500. It answers like every other
    object, the record's attributes alone."""
    user = server.create_user(profile="System Administrator")
    token = token_for(server, user)
    with nothing_issued(server), server.client(headers=bearer(token)) as client:
        response = client.get(f"{DATA}/sobjects/User/{user.id}", params={"fields": fields})
    assert response.status_code == 200, response.text
    assert response.json() == {"attributes": {"type": "User", "url": f"{DATA}/sobjects/User/{user.id}"}}


@pytest.mark.attack(
    "CWE-20; OWASP ASVS 5.0 V16.5 (errors handled, never a crash): tests/data_api/test_fuzz_data_api.py"
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_when_a_required_picklist_is_given_an_empty_string_then_required_field_missing(
    server: Server, method: str
) -> None:
    """Salesforce reads "" as null for every field type but text. A Lead whose Status (a picklist that
    is never null) was "" reached the database as NULL: 500. It is refused as a missing value, and
    nothing is written."""
    token = token_for(server, server.create_user(profile="System Administrator"))
    with server.client(headers=bearer(token)) as client:
        url = f"{DATA}/sobjects/Lead"
        body = {"LastName": "Empty-status", "Company": "Acme"}
        if method == "PATCH":
            created = client.post(url, json=body)
            assert created.status_code == 201, created.text
            url = f"{url}/{created.json()['id']}"
        response = client.request(method, url, json={**body, "Status": ""})
        assert response.status_code == 400, response.text
        assert response.json() == [
            {"message": "Required fields are missing: [Status]", "errorCode": "REQUIRED_FIELD_MISSING",
             "fields": ["Status"]}
        ]  # fmt: skip
        if method == "PATCH":
            assert client.get(url).json()["Status"] == "Open - Not Contacted"


@pytest.mark.attack(SOURCE)  # found by tests/security/test_fuzz_parsers.py
@pytest.mark.parametrize("encoding", ["x-fuzz", "utf-7x", "rot13"])
def test_when_a_soap_envelope_declares_an_unknown_encoding_then_a_client_fault(
    server: Server, encoding: str
) -> None:
    """An XML declaration naming an encoding Python does not know raised LookupError out of the
    parser: 500 with the data API's JSON instead of a SOAP fault, and an unhandled exception logged."""
    envelope = (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<login xmlns="urn:partner.soap.sforce.com"><username>u</username><password>p</password></login>'
        "</s:Body></s:Envelope>"
    )
    with nothing_issued(server), server.client() as client:
        response = client.post(
            "/services/Soap/u/62.0", content=envelope.encode(), headers={"Content-Type": "text/xml"}
        )
    assert response.status_code == 500  # SOAP 1.1 §6.2: a fault travels with 500
    assert "<faultcode>soapenv:Client</faultcode>" in response.text, response.text
    assert "not well-formed XML" in response.text


@pytest.fixture
def jwt_app(server: Server) -> tuple[ConnectedApp, User, KeyPair]:
    keys = key_pair()
    app, _ = server.create_app(permitted_users="admin_approved")
    app = server.update_app(app, certificate_pem=keys.certificate_pem)
    with server.ctx.db.write() as conn:
        grant_access(server.ctx, conn, app, profile="Standard User", actor=FIXTURE)
    return app, server.create_user(), keys


@pytest.mark.attack(SOURCE)  # found by tests/security/test_fuzz_parsers.py
@pytest.mark.parametrize(
    ("claim", "value", "error", "description"),
    [
        ("iss", "3MVG9\x00", "invalid_client_id", "client identifier invalid"),
        ("iss", "3MVG9\ud800", "invalid_client_id", "client identifier invalid"),
        ("sub", "{username}\x00", "invalid_grant", "user not found"),
        ("sub", "{username}\udfff", "invalid_grant", "user not found"),
    ],
)
def test_when_a_jwt_names_its_app_or_user_with_a_nul_or_a_lone_surrogate_then_refused(
    server: Server, jwt_app: tuple[ConnectedApp, User, KeyPair], claim: str, value: str, error: str,
    description: str,
) -> None:  # fmt: skip
    """A NUL in ``iss`` (read before the signature is checked) or in a signed ``sub`` reached the
    database: PostgreSQL refuses NUL in text (500, and the refusal was not even written to login
    history). A lone surrogate, which JSON's ``\\udfff`` escape makes and UTF-8 cannot spell, failed
    on both backends. Neither can name an app or a user: the usual refusal."""
    app, user, keys = jwt_app
    claims = {"iss": app.consumer_key, "sub": user.username, "aud": server.url,
              "exp": server.clock.now_ms() // 1000 + 60}  # fmt: skip
    claims[claim] = value.format(username=user.username)
    with nothing_issued(server), server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={"grant_type": GRANT_TYPE, "assertion": sign_json(claims, keys.private)},
        )
    assert response.status_code == 400, response.text
    assert response.json() == {"error": error, "error_description": description}

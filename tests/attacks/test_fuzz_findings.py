"""What the fuzzers (``tests/test_fuzz_*.py``) found: each input that made the server answer 500 or
log an unhandled exception, replayed over HTTP, with Salesforce's answer asserted instead."""

from __future__ import annotations

import pytest

from tests.attacks.unchanged import nothing_issued
from tests.conftest import Server
from tests.data_api import DATA, bearer, token_for

# Malformed input answered with a crash: CWE-20 (improper input validation), and OWASP ASVS 5.0 V16.5
# (errors are handled: a generic, safe answer, and the application keeps working).
SOURCE = "CWE-20; OWASP ASVS 5.0 V16.5"


@pytest.mark.attack(
    "CWE-20; OWASP ASVS 5.0 V16.5 (errors handled, never a crash): tests/test_fuzz_data_api.py"
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


@pytest.mark.attack(SOURCE)  # found by tests/test_fuzz_parsers.py
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

"""What the fuzzers (``tests/test_fuzz_*.py``) found: each input that made the server answer 500 or
log an unhandled exception, replayed over HTTP, with Salesforce's answer asserted instead."""

from __future__ import annotations

import pytest

from tests.attacks.unchanged import nothing_issued
from tests.conftest import Server
from tests.data_api import DATA, bearer, token_for


@pytest.mark.attack("CWE-20; OWASP ASVS 5.0 V16.5 (errors handled, never a crash): tests/test_fuzz_data_api.py")
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
    assert response.json() == {
        "attributes": {"type": "User", "url": f"{DATA}/sobjects/User/{user.id}"}
    }

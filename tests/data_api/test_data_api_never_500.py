"""Whatever arrives at /services/data, the answer is never a 5xx: arbitrary paths, methods, headers and
bodies get Salesforce's error array with a 4xx (or a success)."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.data_api import DATA, bearer, token_for
from tests.support.server import Server

SEGMENTS = st.sampled_from(
    ["query", "queryAll", "sobjects", "limits", "describe", "Account", "Contact", "User", "Nothing__c",
     "001000000000000AAA", "01gAAAAAAAAAAAAAAA-2000", "%00", "..", "v62.0", "", "x" * 300, "é", "Id"]
)  # fmt: skip
JSON_BODIES = st.one_of(
    st.none(),
    st.binary(max_size=64),
    st.sampled_from([b'{"AnnualRevenue": NaN}', b'{"Name": Infinity}', b'{"Name": "a\\ud800"}']),
    st.dictionaries(
        st.sampled_from(
            ["Name", "Id", "Phone", "AccountId", "LastName", "attributes", "Nope__c", "IsDeleted"]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(allow_nan=False, allow_infinity=False),
            st.text(max_size=300),
            st.lists(st.integers()),
        ),
        max_size=4,
    ),
)


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    return token_for(server, server.create_user(profile="Standard User"))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]),
    segments=st.lists(SEGMENTS, max_size=4),
    query=st.dictionaries(st.sampled_from(["q", "fields", "columns"]), st.text(max_size=120), max_size=2),
    body=JSON_BODIES,
    batch=st.one_of(st.none(), st.from_regex(r"\A[0-9a-zA-Z=;,-]{0,12}\Z")),
)
def test_when_anything_is_sent_then_no_5xx_and_errors_are_arrays(
    server: Server,
    token: str,
    method: str,
    segments: list[str],
    query: dict[str, str],
    body: object,
    batch: str | None,
) -> None:
    headers = bearer(token)
    if batch is not None:
        headers["Sforce-Query-Options"] = f"batchSize={batch}"
    path = "/".join([DATA, *segments])
    with server.client() as client:
        if isinstance(body, bytes):
            response = client.request(method, path, params=query, content=body, headers=headers)
        else:
            response = client.request(method, path, params=query, json=body, headers=headers)
    assert response.status_code < 500, (method, path, query, body, response.text)
    if response.status_code >= 400:
        problems = response.json()
        assert isinstance(problems, list) and problems and "errorCode" in problems[0], response.text
    assert isinstance(response, httpx.Response)

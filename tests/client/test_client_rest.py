"""The REST helper against forcegate's data API over real HTTP: auto-paging query, query_all, records,
describe, limits, typed errors carrying Salesforce's errorCode, renewal under REST calls."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from forcegate.client import (
    MalformedRequest,
    NotFound,
    SalesforceClient,
    SalesforceError,
    SessionExpired,
    TokenManager,
)
from tests.support.client_helpers import browser, connection, free_port, web_app
from tests.support.server import Server


@pytest.fixture
def client(server: Server) -> Iterator[SalesforceClient]:
    port = free_port()
    app, secret = web_app(server, port)
    admin = server.create_user(profile="System Administrator")
    conn = connection(server, app, secret)
    session = conn.web_server_login(port=port, open_browser=browser(server, admin), timeout=30)
    with SalesforceClient(TokenManager(conn, session)) as sf:
        yield sf
    conn.close()


def test_when_no_version_given_then_the_newest_served_is_used(client: SalesforceClient) -> None:
    versions = client.request("GET", "/services/data")
    assert client.api_version == max((v["version"] for v in versions), key=float)


def test_records_created_read_updated_and_deleted(client: SalesforceClient) -> None:
    name = f"sdk-{secrets.token_hex(4)}"
    record_id = client.create("Account", {"Name": name})
    assert record_id.startswith("001") and len(record_id) == 18

    record = client.get("Account", record_id, fields=["Id", "Name"])
    assert record["Name"] == name and record["attributes"]["type"] == "Account"

    client.update("Account", record_id, {"Name": name + "-renamed"})
    assert client.get("Account", record_id)["Name"] == name + "-renamed"

    client.delete("Account", record_id)
    with pytest.raises(NotFound) as caught:
        client.get("Account", record_id)
    assert caught.value.error_code in ("NOT_FOUND", "ENTITY_IS_DELETED") and caught.value.status == 404


def test_when_results_span_pages_then_query_follows_next_records_url(client: SalesforceClient) -> None:
    tag = f"page-{secrets.token_hex(4)}"
    for n in range(230):
        client.create("Account", {"Name": f"{tag}-{n:03d}"})
    soql = f"SELECT Id, Name FROM Account WHERE Name LIKE '{tag}-%' ORDER BY Name"

    pages = list(client.query_pages(soql, batch_size=200))
    assert [len(p["records"]) for p in pages] == [200, 30]
    assert pages[0]["done"] is False and pages[0]["nextRecordsUrl"].startswith("/services/data/v")
    assert pages[0]["totalSize"] == 230

    streamed = client.query(soql, batch_size=200)
    assert next(streamed)["Name"] == f"{tag}-000"  # a generator: the first page only, so far
    names = [r["Name"] for r in client.query_all(soql, batch_size=200)]
    assert names == [f"{tag}-{n:03d}" for n in range(230)]


def test_when_deleted_records_wanted_then_query_all_rows_includes_them(client: SalesforceClient) -> None:
    tag = f"del-{secrets.token_hex(4)}"
    kept, gone = (
        client.create("Account", {"Name": f"{tag}-a"}),
        client.create("Account", {"Name": f"{tag}-b"}),
    )
    client.delete("Account", gone)
    soql = f"SELECT Id FROM Account WHERE Name LIKE '{tag}-%'"
    assert {r["Id"] for r in client.query_all(soql)} == {kept}
    assert {r["Id"] for r in client.query_all(soql, include_deleted=True)} == {kept, gone}


def test_describe_and_limits(client: SalesforceClient) -> None:
    described = client.describe("Account")
    assert described["name"] == "Account"
    assert "Name" in {f["name"] for f in described["fields"]}
    assert "Account" in {o["name"] for o in client.describe_global()["sobjects"]}
    limits = client.limits()
    assert limits["DailyApiRequests"]["Max"] >= limits["DailyApiRequests"]["Remaining"] >= 0
    assert client.last_api_usage and client.last_api_usage.startswith("api-usage=")


def test_errors_are_typed_and_carry_the_error_code(client: SalesforceClient) -> None:
    with pytest.raises(MalformedRequest) as caught:
        client.query_all("SELECT Id FRM Account")
    assert caught.value.error_code == "MALFORMED_QUERY" and caught.value.status == 400
    with pytest.raises(SalesforceError) as unknown:
        client.describe("NoSuchThing__c")
    assert unknown.value.error_code in ("NOT_FOUND", "INVALID_TYPE")
    with pytest.raises(MalformedRequest) as field:
        client.query_all("SELECT Nope FROM Account")
    assert field.value.error_code == "INVALID_FIELD"


def test_when_session_revoked_and_no_way_to_renew_then_session_expired(
    server: Server, client: SalesforceClient
) -> None:
    conn = client.manager.connection
    dead = TokenManager(conn, conn.use_access_token(client.manager.session.access_token, server.url))
    conn.revoke(client.manager.session.access_token)
    with (
        SalesforceClient(dead, api_version=client.api_version) as sf,
        pytest.raises(SessionExpired) as caught,
    ):
        sf.limits()
    assert caught.value.error_code == "INVALID_SESSION_ID"


def test_when_session_expires_between_calls_then_rest_calls_renew_transparently(
    server: Server, client: SalesforceClient
) -> None:
    before = client.manager.session.access_token
    server.clock.advance(7200)
    assert client.limits()["DailyApiRequests"]["Max"] > 0
    assert client.manager.refresh_count == 1 and client.manager.session.access_token != before

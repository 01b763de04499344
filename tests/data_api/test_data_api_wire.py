"""Wire details real clients depend on (client-compatibility.md, "What clients call right after login"),
asserted on raw HTTP answers of the data API."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.data_api import DATA, bearer, token_for
from tests.support.server import Server


@pytest.fixture
def client(server: Server) -> httpx.Client:
    return server.client(
        headers=bearer(token_for(server, server.create_user(profile="System Administrator")))
    )


def test_when_record_created_read_updated_deleted_then_statuses_and_bodies_are_salesforce_s(
    client: httpx.Client,
) -> None:
    created = client.post(f"{DATA}/sobjects/Account/", json={"Name": "Wire Co", "Phone": "555-0111"})
    assert created.status_code == 201
    body = created.json()
    assert body == {"id": body["id"], "success": True, "errors": []} and re.fullmatch(
        r"001\w{15}", body["id"]
    )
    assert created.headers["content-type"].startswith("application/json")
    read = client.get(f"{DATA}/sobjects/Account/{body['id']}", params={"fields": "Name, Phone"})
    assert read.status_code == 200
    record = read.json()
    assert record["attributes"] == {"type": "Account", "url": f"{DATA}/sobjects/Account/{body['id']}"}
    assert (record["Name"], record["Phone"]) == ("Wire Co", "555-0111")
    updated = client.patch(f"{DATA}/sobjects/Account/{body['id']}", json={"Phone": "555-0112"})
    assert updated.status_code == 204 and updated.content == b""
    assert re.fullmatch(r"api-usage=\d+/\d+", updated.headers["sforce-limit-info"])
    deleted = client.delete(f"{DATA}/sobjects/Account/{body['id']}/")
    assert deleted.status_code == 204 and deleted.content == b""
    missing = client.get(f"{DATA}/sobjects/Account/001000000000000AAA")
    assert missing.status_code == 404
    assert missing.json() == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]


def test_when_query_all_locator_asked_under_query_then_served_as_jsforce_does(
    server: Server, client: httpx.Client
) -> None:
    tag = f"wire{server.clock.now_ms()}"
    for n in range(205):
        assert client.post(f"{DATA}/sobjects/Contact", json={"LastName": f"{tag} {n:03d}"}).status_code == 201
    small = {"Sforce-Query-Options": "batchSize=200"}
    first = client.get(
        f"{DATA}/queryAll/",
        params={"q": f"SELECT LastName FROM Contact WHERE LastName LIKE '{tag}%' ORDER BY LastName"},
        headers=small,
    ).json()
    assert first["done"] is False and first["totalSize"] == 205 and len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith(f"{DATA}/queryAll/01g")
    locator = first["nextRecordsUrl"].rsplit("/", 1)[1]
    assert re.fullmatch(r"01g\w{15}-200", locator)
    # jsforce keeps only the last path segment and asks /query/{locator}, on its own API version.
    rest = client.get(f"/services/data/v59.0/query/{locator}").json()
    assert rest["done"] is True and len(rest["records"]) == 5 and "nextRecordsUrl" not in rest
    again = client.get(first["nextRecordsUrl"]).json()  # simple-salesforce: the path as given
    assert [r["LastName"] for r in again["records"]] == [r["LastName"] for r in rest["records"]]
    assert rest["records"][0]["attributes"]["url"].startswith("/services/data/v59.0/sobjects/Contact/")


def test_when_columns_true_then_column_metadata_document(client: httpx.Client) -> None:
    response = client.get(f"{DATA}/query", params={"q": "SELECT Id, Name FROM Account", "columns": "true"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"columnMetadata", "entityName", "groupBy", "idSelected", "keyPrefix"} <= set(body)
    assert [c["columnName"] for c in body["columnMetadata"]] == ["Id", "Name"]


def test_when_describe_global_and_describe_asked_then_urls_carry_the_path_version(
    client: httpx.Client,
) -> None:
    listing = client.get(f"{DATA}/sobjects/").json()
    account = next(o for o in listing["sobjects"] if o["name"] == "Account")
    assert account["urls"]["describe"] == f"{DATA}/sobjects/Account/describe"
    describe = client.get(f"{DATA}/sobjects/account/describe/")
    assert describe.status_code == 200 and describe.json()["name"] == "Account"
    assert client.get(f"{DATA}/sobjects/Account").json()["objectDescribe"]["name"] == "Account"
    unknown = client.get(f"{DATA}/sobjects/Nothing__c/describe")
    assert unknown.status_code == 404 and unknown.json()[0]["errorCode"] == "NOT_FOUND"


def test_when_instance_url_ends_in_a_slash_then_the_doubled_slash_still_reaches_the_api(
    client: httpx.Client,
) -> None:
    # `sf org login access-token --instance-url URL` stores URL with a trailing "/" (a URL's href), and
    # jsforce then asks for `{instanceUrl}/services/data/...`: every call's path starts with "//".
    origin = str(client.base_url).rstrip("/")
    versions = client.get(f"{origin}//services/data")
    assert versions.status_code == 200 and DATA in [entry["url"] for entry in versions.json()]
    created = client.post(f"{origin}/{DATA}/sobjects/Account", json={"Name": "Trailing Slash Co"})
    assert created.status_code == 201, created.text
    query = "SELECT Name FROM Account WHERE Name = 'Trailing Slash Co'"
    queried = client.get(f"{origin}/{DATA}//query", params={"q": query})
    assert queried.status_code == 200 and queried.json()["totalSize"] == 1

"""simple-salesforce, given an instance URL and a session id, against forcegate over real HTTPS:
queries, paging with query_all, create, update, read and delete — and the same user refused where a
profile or permission set does not grant the permission, as Salesforce refuses it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from forcegate.data import api, metadata
from forcegate.model.access import FULL_ACCESS, Caller
from tests.support.data_api import (
    TlsServer,
    admin_client,
    assign,
    permission_set,
    start_tls_server,
    token_for,
)
from tests.support.server import Server


@pytest.fixture(scope="module")
def tls(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    yield from start_tls_server(server, tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def marker(server: Server) -> str:
    """450 accounts named ``<marker> NNN``, created as the system (more than two batches of 200)."""
    tag = f"sfpage{secrets.token_hex(3)}"
    system = Caller(server.org_id, None, FULL_ACCESS)
    for n in range(450):
        api.create_record(server.ctx, system, "Account", {"Name": f"{tag} {n:03d}", "Phone": "555-0100"})
    return tag


@pytest.fixture
def admin_sf(server: Server, tls: TlsServer) -> object:
    return tls.salesforce(token_for(server, server.create_user(profile="System Administrator")))


def test_when_admin_queries_then_records_come_in_salesforce_shape(
    server: Server, tls: TlsServer, marker: str, admin_sf: object
) -> None:
    from simple_salesforce import Salesforce

    assert isinstance(admin_sf, Salesforce)
    result = admin_sf.query(
        f"SELECT Id, Name FROM Account WHERE Name LIKE '{marker}%' ORDER BY Name LIMIT 10"
    )
    assert result["totalSize"] == 10 and result["done"] is True
    first = result["records"][0]
    assert first["Name"] == f"{marker} 000"
    assert first["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v62.0/sobjects/Account/{first['Id']}",
    }
    assert admin_sf.is_sandbox() is False  # SELECT IsSandbox FROM Organization LIMIT 1
    assert admin_sf.limits()["DailyApiRequests"]["Max"] > 0
    assert admin_sf.api_usage["api-usage"].total > 0  # parsed from Sforce-Limit-Info


def test_when_results_exceed_a_batch_then_query_all_pages_through_every_locator(
    marker: str, admin_sf: object
) -> None:
    from simple_salesforce import Salesforce

    assert isinstance(admin_sf, Salesforce)
    soql = f"SELECT Id, Name FROM Account WHERE Name LIKE '{marker}%' ORDER BY Name"
    small = {"Sforce-Query-Options": "batchSize=200"}
    first = admin_sf.query(soql, headers=small)
    assert first["done"] is False and len(first["records"]) == 200 and first["totalSize"] == 450
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
    everything = admin_sf.query_all(soql, headers=small)
    assert [r["Name"] for r in everything["records"]] == [f"{marker} {n:03d}" for n in range(450)]
    # include_deleted walks /queryAll/ locators; jsforce-style /query/{locator} serves them too.
    deleted_too = admin_sf.query_all(soql, include_deleted=True, headers=small)
    assert deleted_too["totalSize"] == 450 and len(deleted_too["records"]) == 450


def test_when_admin_creates_updates_reads_and_deletes_then_each_step_answers_like_salesforce(
    admin_sf: object,
) -> None:
    from simple_salesforce import Salesforce

    assert isinstance(admin_sf, Salesforce)
    created = admin_sf.Account.create({"Name": "Acme Anvils", "Phone": "555-0199"})
    assert created["success"] is True and created["errors"] == [] and created["id"].startswith("001")
    assert admin_sf.Account.update(created["id"], {"Phone": "555-0200"}) == 204
    record = admin_sf.Account.get(created["id"])
    assert record["Name"] == "Acme Anvils" and record["Phone"] == "555-0200"
    contact = admin_sf.Contact.create({"LastName": "Coyote", "AccountId": created["id"]})
    joined = admin_sf.query(f"SELECT Account.Name FROM Contact WHERE Id = '{contact['id']}'")
    assert joined["records"][0]["Account"]["Name"] == "Acme Anvils"
    assert admin_sf.Account.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        admin_sf.Account.get(created["id"])


def test_when_standard_user_deletes_then_refused_until_a_permission_set_grants_delete(
    server: Server, tls: TlsServer
) -> None:
    user = server.create_user(profile="Standard User")
    sf = tls.salesforce(token_for(server, user))
    created = sf.Account.create({"Name": "Roadrunner Supplies"})  # create and edit: granted
    assert sf.Account.update(created["id"], {"Name": "Roadrunner Supply Co"}) == 204
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.Account.delete(created["id"])
    assert refused.value.status == 403
    assert refused.value.content[0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    with admin_client(server) as admin:
        assign(admin, permission_set(server, admin, object_permissions={"Account": {"delete": True}}), user)
    assert sf.Account.delete(created["id"]) == 204


def test_when_object_not_granted_then_query_says_invalid_type_and_records_not_found(
    server: Server, tls: TlsServer, marker: str
) -> None:
    user = server.create_user(profile="Minimum Access")
    with admin_client(server) as admin:
        assign(admin, permission_set(server, admin, api_enabled=True), user)
    sf = tls.salesforce(token_for(server, user))
    with pytest.raises(SalesforceMalformedRequest) as invalid:
        sf.query("SELECT Id FROM Account")
    assert invalid.value.content[0]["errorCode"] == "INVALID_TYPE"
    with pytest.raises(SalesforceResourceNotFound):  # an object they cannot see does not exist for them
        sf.Account.create({"Name": "Nope"})
    account_id = api.query(
        server.ctx,
        Caller(server.org_id, None, FULL_ACCESS),
        f"SELECT Id FROM Account WHERE Name = '{marker} 001'",
        "62.0",
    )["records"][0]["Id"]
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get(account_id)
    assert "Account" not in {o["name"] for o in sf.describe()["sobjects"]}


def test_when_field_hidden_by_field_level_security_then_invalid_field(
    server: Server, tls: TlsServer, marker: str
) -> None:
    user = server.create_user(profile="Standard User")
    sf = tls.salesforce(token_for(server, user))
    assert (
        sf.query(f"SELECT Phone FROM Account WHERE Name = '{marker} 002'")["records"][0]["Phone"]
        == "555-0100"
    )
    with admin_client(server) as admin:
        name = f"Restricted {secrets.token_hex(3)}"
        created = admin.post(
            "/admin/api/v1/profiles",
            json={
                "name": name,
                "api_enabled": True,
                "object_permissions": {"Account": {"read": True, "edit": True}},
                "field_permissions": {"Account.Phone": {}, "Account.Rating": {"read": True}},
            },
        )
        assert created.status_code == 201, created.text
        assert admin.patch(f"/admin/api/v1/users/{user.id}", json={"profile": name}).status_code == 200
    with pytest.raises(SalesforceMalformedRequest) as hidden:
        sf.query(f"SELECT Phone FROM Account WHERE Name = '{marker} 002'")
    assert hidden.value.content[0]["errorCode"] == "INVALID_FIELD"
    account = sf.query(f"SELECT Id, Name FROM Account WHERE Name = '{marker} 002'")["records"][0]
    assert "Phone" not in sf.Account.get(account["Id"])
    assert "Phone" not in {f["name"] for f in sf.Account.describe()["fields"]}
    with pytest.raises(SalesforceMalformedRequest) as read_only:
        sf.Account.update(account["Id"], {"Rating": "Hot"})
    assert read_only.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_when_salesforce_cli_probes_after_login_then_answers_are_what_it_needs(
    server: Server, tls: TlsServer, tmp_path: Path
) -> None:
    user = server.create_user(profile="Standard User")
    token = token_for(server, user)
    sf = tls.salesforce(token)
    assert sf.User.get(user.id)["Username"] == user.username
    org = sf.query(
        "SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType "
        "FROM Organization"
    )
    assert org["totalSize"] == 1
    probe = httpx.get(
        f"{server.url}/services/data/v51.0/query",
        params={"q": "SELECT Id FROM ScratchOrgInfo limit 1"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert 400 <= probe.status_code < 500 and probe.json()[0]["errorCode"] == "INVALID_TYPE"
    assert tmp_path.exists()


def test_when_custom_field_added_then_hidden_until_granted_and_create_needs_create_permission(
    server: Server, tls: TlsServer, marker: str
) -> None:
    field = f"Tier{secrets.token_hex(3)}__c"
    with server.ctx.db.write() as conn:
        metadata.create_custom_field(conn, server.org_id, "Account", field, "string", length=20)
    user = server.create_user(profile="Standard User")
    sf = tls.salesforce(token_for(server, user))
    soql = f"SELECT Id, Name, {field} FROM Account WHERE Name = '{marker} 003'"
    with pytest.raises(SalesforceMalformedRequest) as hidden:
        sf.query(soql)
    assert hidden.value.content[0]["errorCode"] == "INVALID_FIELD"
    with admin_client(server) as admin:
        readers = permission_set(server, admin, field_permissions={f"Account.{field}": {"read": True}})
        assign(admin, readers, user)
        assert sf.query(soql)["records"][0][field] is None
        account_id = sf.query(soql)["records"][0]["Id"]
        with pytest.raises(SalesforceMalformedRequest) as not_editable:
            sf.Account.update(account_id, {field: "Gold"})
        assert not_editable.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
        readers_only = f"ReadOnly {secrets.token_hex(3)}"
        created = admin.post(
            "/admin/api/v1/profiles",
            json={
                "name": readers_only,
                "api_enabled": True,
                "object_permissions": {"Account": {"read": True}},
            },
        )
        assert created.status_code == 201
        assert (
            admin.patch(f"/admin/api/v1/users/{user.id}", json={"profile": readers_only}).status_code == 200
        )
    for attempt in (
        lambda: sf.Account.create({"Name": "Not allowed"}),
        lambda: sf.Account.update(account_id, {"Name": "Not allowed"}),
        lambda: sf.Account.delete(account_id),
    ):
        with pytest.raises(SalesforceRefusedRequest) as refused:
            attempt()
        assert refused.value.content[0]["errorCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    assert sf.Account.get(account_id)["Name"] == f"{marker} 003"

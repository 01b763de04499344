"""The data layer behind /services/data: records, describe, custom objects and fields, permissions as
the data layer applies them, query locators and paging, User / Organization / LoginHistory, the demo
seed — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from forcegate.context import Context
from forcegate.data import api, metadata
from forcegate.data.errors import DataApiError
from forcegate.data.seed import DEMO_COUNTS, seed_demo
from forcegate.model.access import (
    NO_ACCESS,
    Caller,
    FieldPermissions,
    ObjectAccess,
    ObjectPermissions,
)
from forcegate.storage import repositories as repo
from tests.support.server import Server
from tests.support.soql_dataset import VERSION, Dataset, build, strip

pytestmark = pytest.mark.storage
FORCEGATE = Path(sys.executable).parent / "forcegate"
LOCATOR_URL = re.compile(r"^/services/data/v62\.0/(query|queryAll)/(01g[0-9A-Za-z]{15})-(\d+)$")


@pytest.fixture(scope="module")
def data(server: Server) -> Iterator[Dataset]:
    def shift(offset_ms: int) -> None:
        server.clock.offset_ms = offset_ms

    yield build(server.ctx, shift)


def error_of(call: Any, *args: Any, **kwargs: Any) -> DataApiError:
    with pytest.raises(DataApiError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- records ---------------------------------------------------------------------------------------


def test_when_record_read_then_all_fields_or_the_asked_ones_with_attributes(
    server: Server, data: Dataset
) -> None:
    contact = data.contacts[0]
    record = api.get_record(server.ctx, data.caller, "contact", contact["Id"], VERSION)
    assert record["attributes"] == {
        "type": "Contact",
        "url": f"/services/data/v62.0/sobjects/Contact/{contact['Id']}",
    }
    assert record["LastName"] == contact["LastName"] and record["Birthdate"] == contact["Birthdate"]
    assert record["Name"] == contact["Name"] and record["IsDeleted"] is False
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000", record["CreatedDate"])
    assert record["CreatedById"] == data.owner_id and record["OwnerId"] == data.owner_id
    some = api.get_record(
        server.ctx, data.caller, "Contact", contact["Id"][:15], VERSION, ["email", "AccountId"]
    )
    assert list(some) == ["attributes", "Email", "AccountId"]
    assert some["AccountId"] == contact["AccountId"]


@pytest.mark.parametrize(
    ("record_id", "code", "status"),
    [
        ("not-an-id", "MALFORMED_ID", 400),
        ("001000000000000", "NOT_FOUND", 404),
        ("003000000000000AAA", "NOT_FOUND", 404),
    ],
)
def test_when_record_id_bad_or_unknown_then_refused(
    server: Server, data: Dataset, record_id: str, code: str, status: int
) -> None:
    error = error_of(api.get_record, server.ctx, data.caller, "Account", record_id, VERSION)
    assert (error.error_code, error.status) == (code, status)


def test_when_record_read_with_unknown_field_or_object_then_refused(server: Server, data: Dataset) -> None:
    error = error_of(
        api.get_record, server.ctx, data.caller, "Account", data.accounts[0]["Id"], VERSION, ["Foo"]
    )
    assert error.error_code == "INVALID_FIELD" and "No such column 'Foo' on entity 'Account'" in error.message
    error = error_of(api.get_record, server.ctx, data.caller, "Widget", data.accounts[0]["Id"], VERSION)
    assert (error.error_code, error.status) == ("NOT_FOUND", 404)


def test_when_records_created_then_defaults_and_derived_fields_are_set(server: Server, data: Dataset) -> None:
    ctx, caller = server.ctx, data.caller
    lead = api.create_record(ctx, caller, "Lead", {"LastName": "Default", "Company": "Defaults Inc"})
    assert lead.startswith("00Q") and len(lead) == 18
    assert api.get_record(ctx, caller, "Lead", lead, VERSION, ["Status"])["Status"] == "Open - Not Contacted"
    first = api.create_record(ctx, caller, "Case", {"Subject": "one"})
    second = api.create_record(ctx, caller, "Case", {"Subject": "two", "Status": "Closed"})
    one = api.get_record(
        ctx, caller, "Case", first, VERSION, ["CaseNumber", "Status", "IsClosed", "ClosedDate"]
    )
    two = api.get_record(ctx, caller, "Case", second, VERSION, ["CaseNumber", "IsClosed", "ClosedDate"])
    assert one["Status"] == "New" and one["IsClosed"] is False and one["ClosedDate"] is None
    assert int(two["CaseNumber"]) == int(one["CaseNumber"]) + 1 and len(two["CaseNumber"]) == 8
    assert two["IsClosed"] is True and two["ClosedDate"] is not None
    won = api.create_record(
        ctx, caller, "Opportunity", {"Name": "W", "StageName": "Closed Won", "CloseDate": "2026-01-31"}
    )
    assert api.get_record(ctx, caller, "Opportunity", won, VERSION, ["IsWon", "IsClosed"]) == {
        "attributes": {"type": "Opportunity", "url": f"/services/data/v62.0/sobjects/Opportunity/{won}"},
        "IsWon": True,
        "IsClosed": True,
    }
    for record_id, object_name in ((lead, "Lead"), (first, "Case"), (second, "Case"), (won, "Opportunity")):
        api.delete_record(ctx, caller, object_name, record_id)


@pytest.mark.parametrize(
    ("object_name", "values", "code", "fields"),
    [
        ("Contact", {"Id": "003000000000001AAA", "LastName": "x"}, "INVALID_FIELD", None),
        ("Contact", {"LastName": "x", "Shoe_Size": 3}, "INVALID_FIELD", None),
        ("Contact", {"FirstName": "only"}, "REQUIRED_FIELD_MISSING", ["LastName"]),
        ("Opportunity", {"Name": "x", "StageName": "Prospecting"}, "REQUIRED_FIELD_MISSING", ["CloseDate"]),
        ("Contact", {"LastName": "x" * 81}, "STRING_TOO_LONG", ["LastName"]),
        ("Account", {"Name": "x", "NumberOfEmployees": "many"}, "JSON_PARSER_ERROR", None),
        ("Account", {"Name": "x", "NumberOfEmployees": 3.5}, "JSON_PARSER_ERROR", None),
        (
            "Account",
            {"Name": "x", "NumberOfEmployees": 10**12},
            "NUMBER_OUTSIDE_VALID_RANGE",
            ["NumberOfEmployees"],
        ),
        ("Account", {"Name": 42.5, "AnnualRevenue": "rich"}, "JSON_PARSER_ERROR", None),
        ("Contact", {"LastName": "x", "Birthdate": "yesterday"}, "JSON_PARSER_ERROR", None),
        ("Contact", {"LastName": "x", "Email": "not-an-email"}, "INVALID_EMAIL_ADDRESS", ["Email"]),
        (
            "Contact",
            {"LastName": "x", "AccountId": "003000000000001AAA"},
            "FIELD_INTEGRITY_EXCEPTION",
            ["AccountId"],
        ),
        (
            "Contact",
            {"LastName": "x", "AccountId": "001000000000001AAA"},
            "INVALID_CROSS_REFERENCE_KEY",
            ["AccountId"],
        ),
        ("Contact", {"LastName": "x", "AccountId": "nope"}, "MALFORMED_ID", ["AccountId"]),
        (
            "Opportunity",
            {"Name": "x", "StageName": "Prospecting", "CloseDate": "2026-01-01", "IsWon": True},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            ["IsWon"],
        ),
        (
            "Contact",
            {"LastName": "x", "CreatedDate": "2020-01-01T00:00:00Z"},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            ["CreatedDate"],
        ),
    ],
)
def test_when_create_values_invalid_then_refused_and_nothing_written(
    server: Server,
    data: Dataset,
    object_name: str,
    values: dict[str, Any],
    code: str,
    fields: list[str] | None,
) -> None:
    before = api.query(server.ctx, data.caller, f"SELECT COUNT() FROM {object_name}", VERSION)["totalSize"]
    error = error_of(api.create_record, server.ctx, data.caller, object_name, values)
    assert (error.error_code, error.status) == (code, 400), error.message
    if fields is not None:
        assert error.fields == fields
    after = api.query(server.ctx, data.caller, f"SELECT COUNT() FROM {object_name}", VERSION)["totalSize"]
    assert after == before


@pytest.mark.parametrize("object_name", ["User", "Organization", "LoginHistory"])
def test_when_read_only_object_written_then_insufficient_access(
    server: Server, data: Dataset, object_name: str
) -> None:
    error = error_of(api.create_record, server.ctx, data.caller, object_name, {"Name": "x"})
    assert (error.error_code, error.status) == ("INSUFFICIENT_ACCESS_OR_READONLY", 403)


def test_when_record_updated_then_values_and_audit_fields_change_atomically(
    server: Server, data: Dataset
) -> None:
    ctx, caller = server.ctx, data.caller
    record_id = api.create_record(ctx, caller, "Account", {"Name": "Before", "NumberOfEmployees": 1})
    created = api.get_record(ctx, caller, "Account", record_id, VERSION)
    server.clock.advance(5)
    api.update_record(
        ctx, caller, "account", record_id, {"name": "After", "Industry": "Energy", "attributes": {}}
    )
    updated = api.get_record(ctx, caller, "Account", record_id, VERSION)
    assert (updated["Name"], updated["Industry"], updated["NumberOfEmployees"]) == ("After", "Energy", 1)
    assert updated["LastModifiedDate"] > created["LastModifiedDate"] == created["CreatedDate"]
    assert updated["SystemModstamp"] == updated["LastModifiedDate"]
    error = error_of(
        api.update_record, ctx, caller, "Account", record_id, {"Name": "Third", "NumberOfEmployees": "x"}
    )
    assert error.error_code == "JSON_PARSER_ERROR"
    assert api.get_record(ctx, caller, "Account", record_id, VERSION, ["Name"])["Name"] == "After"
    error = error_of(api.update_record, ctx, caller, "Account", record_id, {"Name": None})
    assert error.error_code == "REQUIRED_FIELD_MISSING"
    api.delete_record(ctx, caller, "Account", record_id)


def test_when_record_deleted_then_soft_deleted_and_only_query_all_sees_it(
    server: Server, data: Dataset
) -> None:
    ctx, caller = server.ctx, data.caller
    record_id = api.create_record(ctx, caller, "Lead", {"LastName": "Gone", "Company": "Deleted Ltd"})
    api.delete_record(ctx, caller, "Lead", record_id)
    assert error_of(api.get_record, ctx, caller, "Lead", record_id, VERSION).status == 404
    for call, args in ((api.update_record, ({"LastName": "x"},)), (api.delete_record, ())):
        error = error_of(call, ctx, caller, "Lead", record_id, *args)
        assert (error.error_code, error.status, error.fields) == ("ENTITY_IS_DELETED", 404, [])
    soql = f"SELECT Id, IsDeleted FROM Lead WHERE Id = '{record_id}'"
    assert api.query(ctx, caller, soql, VERSION)["totalSize"] == 0
    everything = api.query(ctx, caller, soql, VERSION, include_deleted=True)
    assert strip(everything["records"]) == [{"Id": record_id, "IsDeleted": True}]


# --- permissions as the data layer applies them ---------------------------------------------------------


@dataclass
class Limited:
    """An ObjectAccess granting the given object permissions; fields listed as hidden or read-only."""

    objects: dict[str, ObjectPermissions]
    hidden: set[str] = field(default_factory=set)
    read_only: set[str] = field(default_factory=set)

    def object_permissions(self, object_name: str) -> ObjectPermissions:
        return self.objects.get(object_name, ObjectPermissions())

    def field_permissions(self, object_name: str, field_name: str) -> FieldPermissions:
        key = f"{object_name}.{field_name}"
        return FieldPermissions(readable=key not in self.hidden, editable=key not in self.read_only)


READ = ObjectPermissions(read=True)
READ_CREATE_EDIT = ObjectPermissions(read=True, create=True, edit=True)


def test_limited_access_is_an_object_access() -> None:
    assert isinstance(Limited({}), ObjectAccess)


def test_when_object_not_readable_then_invalid_type_not_found_and_absent(
    server: Server, data: Dataset
) -> None:
    caller = Caller(data.org_id, data.owner_id, Limited({"Account": READ}))
    error = error_of(api.query, server.ctx, caller, "SELECT Id FROM Contact", VERSION)
    assert error.error_code == "INVALID_TYPE" and "sObject type 'Contact' is not supported" in error.message
    assert error_of(api.describe_sobject, server.ctx, caller, "Contact", VERSION).status == 404
    assert (
        error_of(api.get_record, server.ctx, caller, "Contact", data.contacts[0]["Id"], VERSION).status == 404
    )
    names = [o["name"] for o in api.describe_global(server.ctx, caller, VERSION)["sobjects"]]
    assert names == ["Account"]
    error = error_of(
        api.query, server.ctx, caller, "SELECT Name, (SELECT Id FROM Contacts) FROM Account", VERSION
    )
    assert error.error_code == "INVALID_TYPE"
    nothing = Caller(data.org_id, data.owner_id, NO_ACCESS)
    assert api.describe_global(server.ctx, nothing, VERSION)["sobjects"] == []
    assert (
        error_of(api.query, server.ctx, nothing, "SELECT Id FROM Account", VERSION).error_code
        == "INVALID_TYPE"
    )


def test_when_parent_object_not_readable_then_relationship_not_understood(
    server: Server, data: Dataset
) -> None:
    caller = Caller(data.org_id, data.owner_id, Limited({"Contact": READ}))
    error = error_of(api.query, server.ctx, caller, "SELECT Account.Name FROM Contact", VERSION)
    assert error.error_code == "INVALID_FIELD" and "Didn't understand relationship 'Account'" in error.message
    assert api.query(server.ctx, caller, "SELECT AccountId FROM Contact LIMIT 1", VERSION)["totalSize"] == 1


def test_when_field_hidden_then_invalid_field_everywhere_and_left_out(server: Server, data: Dataset) -> None:
    access = Limited({"Account": READ_CREATE_EDIT}, hidden={"Account.AnnualRevenue"})
    caller = Caller(data.org_id, data.owner_id, access)
    for soql in (
        "SELECT AnnualRevenue FROM Account",
        "SELECT Id FROM Account WHERE AnnualRevenue > 0",
        "SELECT Id FROM Account ORDER BY AnnualRevenue",
        "SELECT SUM(AnnualRevenue) FROM Account",
    ):
        error = error_of(api.query, server.ctx, caller, soql, VERSION)
        assert error.error_code == "INVALID_FIELD" and "No such column 'AnnualRevenue'" in error.message
    fields = [f["name"] for f in api.describe_sobject(server.ctx, caller, "Account", VERSION)["fields"]]
    assert "AnnualRevenue" not in fields and "Name" in fields
    record = api.get_record(server.ctx, caller, "Account", data.accounts[0]["Id"], VERSION)
    assert "AnnualRevenue" not in record and record["Name"] == "Acme Corp"
    error = error_of(
        api.get_record, server.ctx, caller, "Account", data.accounts[0]["Id"], VERSION, ["AnnualRevenue"]
    )
    assert error.error_code == "INVALID_FIELD"
    error = error_of(api.create_record, server.ctx, caller, "Account", {"Name": "x", "AnnualRevenue": 1.0})
    assert error.error_code == "INVALID_FIELD"


def test_when_access_hides_system_fields_then_soql_still_reads_them(server: Server, data: Dataset) -> None:
    """Id and the audit fields are readable whatever the field permissions say (as in Salesforce)."""
    system = ("Id", "CreatedDate", "CreatedById", "LastModifiedDate", "SystemModstamp")
    access = Limited({"Account": READ}, hidden={f"Account.{name}" for name in system} | {"Account.Name"})
    caller = Caller(data.org_id, data.owner_id, access)
    result = api.query(server.ctx, caller, f"SELECT {', '.join(system)} FROM Account ORDER BY Id", VERSION)
    assert result["totalSize"] == len(data.accounts)
    assert all(record[name] for record in result["records"] for name in system)
    assert error_of(api.query, server.ctx, caller, "SELECT Name FROM Account", VERSION).error_code == (
        "INVALID_FIELD"
    )


def test_when_field_read_only_then_write_refused_and_describe_says_so(server: Server, data: Dataset) -> None:
    access = Limited({"Account": READ_CREATE_EDIT}, read_only={"Account.Industry"})
    caller = Caller(data.org_id, data.owner_id, access)
    error = error_of(api.create_record, server.ctx, caller, "Account", {"Name": "x", "Industry": "Energy"})
    assert (error.error_code, error.fields) == ("INVALID_FIELD_FOR_INSERT_UPDATE", ["Industry"])
    described = {f["name"]: f for f in api.describe_sobject(server.ctx, caller, "Account", VERSION)["fields"]}
    assert described["Industry"]["createable"] is False and described["Industry"]["updateable"] is False
    assert described["Name"]["createable"] is True


@pytest.mark.parametrize(
    ("permissions", "refused"),
    [
        (ObjectPermissions(read=True), {"create", "edit", "delete"}),
        (ObjectPermissions(read=True, create=True), {"edit", "delete"}),
        (ObjectPermissions(read=True, create=True, edit=True), {"delete"}),
        (ObjectPermissions(create=True, edit=True, delete=True), {"read", "create", "edit", "delete"}),
        (ObjectPermissions(modify_all=True), set()),
        (ObjectPermissions(view_all=True), {"create", "edit", "delete"}),
    ],
)
def test_object_permissions_gate_each_operation(
    server: Server, data: Dataset, permissions: ObjectPermissions, refused: set[str]
) -> None:
    ctx = server.ctx
    caller = Caller(data.org_id, data.owner_id, Limited({"Lead": permissions}))
    target = api.create_record(ctx, data.caller, "Lead", {"LastName": "Perm", "Company": "Perm Co"})
    outcomes: dict[str, DataApiError | None] = {}
    operations = {
        "read": lambda: api.get_record(ctx, caller, "Lead", target, VERSION),
        "create": lambda: api.delete_record(
            ctx,
            data.caller,
            "Lead",
            api.create_record(ctx, caller, "Lead", {"LastName": "P", "Company": "C"}),
        ),
        "edit": lambda: api.update_record(ctx, caller, "Lead", target, {"Title": "Boss"}),
        "delete": lambda: api.delete_record(ctx, caller, "Lead", target),
    }
    for name, operation in operations.items():
        try:
            operation()
            outcomes[name] = None
        except DataApiError as error:
            outcomes[name] = error
    assert {name for name, error in outcomes.items() if error is not None} == refused
    for name in refused - {"read"}:
        error = outcomes[name]
        assert error is not None
        expected = ("NOT_FOUND", 404) if "read" in refused else ("INSUFFICIENT_ACCESS_OR_READONLY", 403)
        assert (error.error_code, error.status) == expected
    if "delete" in refused:
        api.delete_record(ctx, data.caller, "Lead", target)


# --- describe --------------------------------------------------------------------------------------------


def test_describe_documents_have_salesforce_shapes(server: Server, data: Dataset) -> None:
    ctx, caller = server.ctx, data.caller
    described = api.describe_sobject(ctx, caller, "contact", VERSION)
    assert described["name"] == "Contact" and described["keyPrefix"] == "003"
    assert described["urls"]["describe"] == "/services/data/v62.0/sobjects/Contact/describe"
    fields = {f["name"]: f for f in described["fields"]}
    assert {
        "Id",
        "IsDeleted",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
        "OwnerId",
        "AccountId",
        "LastName",
        "Name",
    } <= set(fields)
    account_id = fields["AccountId"]
    assert (account_id["type"], account_id["referenceTo"], account_id["relationshipName"]) == (
        "reference",
        ["Account"],
        "Account",
    )
    assert fields["LastName"]["nillable"] is False and fields["LastName"]["length"] == 80
    assert fields["Id"]["type"] == "id" and fields["Id"]["createable"] is False
    assert fields["Birthdate"]["soapType"] == "xsd:date" and fields["CreatedDate"]["type"] == "datetime"
    assert fields["LeadSource"]["picklistValues"][0] == {
        "active": True,
        "defaultValue": False,
        "label": "Web",
        "validFor": None,
        "value": "Web",
    }
    account = api.describe_sobject(ctx, caller, "Account", VERSION)
    children = {(c["childSObject"], c["field"], c["relationshipName"]) for c in account["childRelationships"]}
    assert {
        ("Contact", "AccountId", "Contacts"),
        ("Opportunity", "AccountId", "Opportunities"),
        ("Case", "AccountId", "Cases"),
        ("Account", "ParentId", "ChildAccounts"),
    } <= children
    overview = api.describe_global(ctx, caller, VERSION)
    assert overview["encoding"] == "UTF-8" and overview["maxBatchSize"] == 200
    entries = {o["name"]: o for o in overview["sobjects"]}
    assert {
        "Account",
        "Contact",
        "Opportunity",
        "Lead",
        "Case",
        "User",
        "Organization",
        "LoginHistory",
    } <= set(entries)
    assert entries["User"]["keyPrefix"] == "005" and entries["User"]["createable"] is False
    assert entries["Case"]["keyPrefix"] == "500" and entries["Case"]["deletable"] is True
    assert entries["LoginHistory"]["keyPrefix"] == "0Ya"
    basic = api.sobject_basic_info(ctx, caller, "Account", VERSION)
    assert basic["objectDescribe"] == entries["Account"] and basic["recentItems"] == []


# --- User, Organization, LoginHistory ---------------------------------------------------------------


def test_user_and_organization_answer_from_the_identity_tables(server: Server, data: Dataset) -> None:
    # Profile is not one of the org's objects here: the path is not understood.
    error = error_of(api.query, server.ctx, data.caller, "SELECT Profile.Name FROM User", VERSION)
    assert error.error_code == "INVALID_FIELD" and "relationship 'Profile'" in error.message
    with server.ctx.db.read() as conn:
        owner = repo.user_by_id(conn, data.owner_id)
        org = repo.org_by_id(conn, data.org_id)
    assert owner is not None and org is not None
    users = api.query(
        server.ctx, data.caller, "SELECT Id, Username, Name, Email, IsActive FROM User", VERSION
    )
    assert strip(users["records"]) == [
        {
            "Id": owner.id,
            "Username": owner.username,
            "Name": "Olga Owner",
            "Email": owner.email,
            "IsActive": True,
        }
    ]
    soql = (
        "SELECT Id, Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType "
        "FROM Organization"
    )
    assert strip(api.query(server.ctx, data.caller, soql, VERSION)["records"]) == [
        {
            "Id": org.id,
            "Name": org.name,
            "InstanceName": org.instance_name,
            "IsSandbox": False,
            "TrialExpirationDate": None,
            "NamespacePrefix": None,
            "OrganizationType": "Developer Edition",
        }
    ]
    owned = api.query(
        server.ctx, data.caller, "SELECT Owner.Username FROM Account WHERE Name = 'Acme Corp'", VERSION
    )
    assert owned["records"][0]["Owner"]["Username"] == owner.username


def test_login_history_lists_the_server_s_login_attempts(server: Server) -> None:
    username = f"x-{secrets.token_hex(4)}@example.com"
    with server.client() as client:
        client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "password",
                "client_id": "nobody",
                "username": username,
                "password": "p",
            },
        )
    # Found by what this test did: the newest row overall may be a future-dated one of another test.
    [mine] = server.login_history_of(username=username)
    caller = Caller(server.org_id, None)
    result = api.query(
        server.ctx,
        caller,
        f"SELECT Id, LoginTime, Status, LoginType, SourceIp FROM LoginHistory WHERE Id = '{mine['id']}'",
        VERSION,
    )
    [record] = strip(result["records"])
    assert record["Id"] == mine["id"] and record["Status"] == mine["status"]
    assert record["SourceIp"] == mine["source_ip"] and record["LoginType"] == mine["login_type"]
    error = error_of(api.delete_record, server.ctx, caller, "LoginHistory", mine["id"])
    assert error.error_code == "INSUFFICIENT_ACCESS_OR_READONLY"


# --- custom objects and fields ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def widgets(server: Server, data: Dataset) -> Iterator[list[str]]:
    """A custom object Widget__c with custom fields, 450 records; and a custom field on Account."""
    with server.ctx.db.write() as conn:
        metadata.create_custom_object(conn, data.org_id, "Widget__c", now_ms=server.ctx.now_ms())
        metadata.create_custom_field(conn, data.org_id, "Widget__c", "Size__c", "int")
        metadata.create_custom_field(
            conn, data.org_id, "widget__c", "Color__c", "picklist", picklist=("Red", "Blue")
        )
        metadata.create_custom_field(
            conn, data.org_id, "Widget__c", "Account__c", "reference", reference_to="Account"
        )
        metadata.create_custom_field(conn, data.org_id, "Account", "Tier__c", "string", length=20)
    ids = [
        api.create_record(
            server.ctx,
            data.caller,
            "Widget__c",
            {
                "Name": f"W{i:03d}",
                "Size__c": i,
                "Color__c": ("Red", "Blue")[i % 2],
                "Account__c": data.accounts[i % 3]["Id"],
            },
        )
        for i in range(450)
    ]
    yield ids


def test_custom_object_and_fields_appear_in_describe_and_soql(
    server: Server, data: Dataset, widgets: list[str]
) -> None:
    ctx, caller = server.ctx, data.caller
    described = api.describe_sobject(ctx, caller, "WIDGET__C", VERSION)
    assert described["name"] == "Widget__c" and described["custom"] is True
    assert re.fullmatch(r"a[0-9A-Za-z]{2}", described["keyPrefix"]) and widgets[0].startswith(
        described["keyPrefix"]
    )
    fields = {f["name"]: f for f in described["fields"]}
    assert fields["Size__c"]["custom"] is True and fields["Size__c"]["type"] == "int"
    assert fields["Account__c"]["relationshipName"] == "Account__r"
    assert fields["Name"]["nameField"] is True and fields["OwnerId"]["referenceTo"] == ["User"]
    result = api.query(
        ctx,
        caller,
        "SELECT Name, Size__c, Color__c, Account__r.Name FROM Widget__c WHERE Size__c < 3 ORDER BY Size__c",
        VERSION,
    )
    assert strip(result["records"]) == [
        {
            "Name": f"W{i:03d}",
            "Size__c": i,
            "Color__c": ("Red", "Blue")[i % 2],
            "Account__r": {"Name": data.accounts[i % 3]["Name"]},
        }
        for i in range(3)
    ]
    grouped = api.query(
        ctx, caller, "SELECT Color__c, COUNT(Id) FROM Widget__c GROUP BY Color__c ORDER BY Color__c", VERSION
    )
    assert strip(grouped["records"]) == [
        {"Color__c": "Blue", "expr0": 225},
        {"Color__c": "Red", "expr0": 225},
    ]
    children = api.query(
        ctx,
        caller,
        "SELECT Name, (SELECT Name FROM Widgets__r WHERE Size__c < 6 ORDER BY Name) FROM Account "
        "WHERE Name = 'Acme Corp'",
        VERSION,
    )
    assert strip(children["records"]) == [
        {
            "Name": "Acme Corp",
            "Widgets__r": {"totalSize": 2, "done": True, "records": [{"Name": "W000"}, {"Name": "W003"}]},
        }
    ]
    record_id = data.accounts[1]["Id"]
    api.update_record(ctx, caller, "Account", record_id, {"Tier__c": "Gold"})
    assert api.get_record(ctx, caller, "Account", record_id, VERSION, ["Tier__c"])["Tier__c"] == "Gold"
    assert "Tier__c" in {f["name"] for f in api.describe_sobject(ctx, caller, "Account", VERSION)["fields"]}
    other_org = Caller(server.org_id, None)
    error = error_of(api.query, ctx, other_org, "SELECT Tier__c FROM Account", VERSION)
    assert error.error_code == "INVALID_FIELD"
    # A third org may have its own Tier__c, of another type, on the same shared table.
    with ctx.db.write() as conn:
        third = repo.insert_org(conn, name="Third", instance_name="FG7", now_ms=ctx.now_ms())
        metadata.install_standard_objects(conn, third.id, ctx.now_ms())
        metadata.create_custom_field(conn, third.id, "Account", "Tier__c", "int")
    third_caller = Caller(third.id, None)
    mine = api.create_record(ctx, third_caller, "Account", {"Name": "Tiered", "Tier__c": 3})
    assert api.get_record(ctx, third_caller, "Account", mine, VERSION, ["Tier__c"])["Tier__c"] == 3
    assert api.get_record(ctx, caller, "Account", record_id, VERSION, ["Tier__c"])["Tier__c"] == "Gold"
    assert (
        error_of(api.query, ctx, other_org, "SELECT Id FROM Widget__c", VERSION).error_code == "INVALID_TYPE"
    )


def test_when_checkbox_added_to_existing_records_then_they_read_false(
    server: Server, data: Dataset, widgets: list[str]
) -> None:
    with server.ctx.db.write() as conn:
        metadata.create_custom_field(conn, data.org_id, "Widget__c", "Active__c", "boolean")
    result = api.query(
        server.ctx, data.caller, "SELECT COUNT() FROM Widget__c WHERE Active__c = false", VERSION
    )
    assert result["totalSize"] == len(widgets)
    api.update_record(server.ctx, data.caller, "Widget__c", widgets[0], {"Active__c": True})
    active = api.query(
        server.ctx, data.caller, "SELECT Id, Active__c FROM Widget__c WHERE Active__c = true", VERSION
    )
    assert strip(active["records"]) == [{"Id": widgets[0], "Active__c": True}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Gizmo", None), "ends with __c"),
        (("Bad Name__c", None), "invalid custom object name"),
        (("Widget__c", None), "already exists"),
    ],
)
def test_when_custom_object_name_invalid_or_taken_then_refused(
    server: Server, data: Dataset, widgets: list[str], args: tuple[str, None], message: str
) -> None:
    with pytest.raises(DataApiError) as caught, server.ctx.db.write() as conn:
        metadata.create_custom_object(conn, data.org_id, *args)
    assert message in caught.value.message


def test_when_custom_field_invalid_then_refused(server: Server, data: Dataset, widgets: list[str]) -> None:
    for object_name, name, type_, extra in [
        ("Widget__c", "Size__c", "int", {}),
        ("Widget__c", "Thing", "int", {}),
        ("Widget__c", "Weight__c", "blob", {}),
        ("Nope__c", "Weight__c", "int", {}),
        ("User", "Weight__c", "int", {}),
        ("Widget__c", "Link__c", "reference", {"reference_to": "Nope"}),
        ("Widget__c", "Label__c", "string", {"length": 1000}),
    ]:
        with pytest.raises(DataApiError), server.ctx.db.write() as conn:
            metadata.create_custom_field(conn, data.org_id, object_name, name, type_, **extra)
    names = {f["name"] for f in api.describe_sobject(server.ctx, data.caller, "Widget__c", VERSION)["fields"]}
    assert not names & {"Thing", "Weight__c", "Link__c", "Label__c"}


def test_objects_and_fields_commands_add_to_the_org(server: Server, tmp_path: Path) -> None:
    database = server.ctx.settings.database_url
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "FORCEGATE_SERVER_KEYS": server.ctx.settings.server_keys or "",
    }
    name = f"Gadget{secrets.token_hex(2)}__c"

    def forcegate(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(FORCEGATE), *args, "--database", database],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    created = forcegate("objects", "create", "--name", name, "--label", "Gadget")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["name"] == name
    added = forcegate("fields", "create", name, "--name", "Color__c", "--type", "string", "--length", "30")
    assert added.returncode == 0, added.stderr
    caller = Caller(server.org_id, None)
    record_id = api.create_record(server.ctx, caller, name, {"Name": "g1", "Color__c": "teal"})
    rows = api.query(server.ctx, caller, f"SELECT Id, Color__c FROM {name}", VERSION)["records"]
    assert strip(rows) == [{"Id": record_id, "Color__c": "teal"}]
    assert name in json.loads(forcegate("objects", "list").stdout)
    shown = json.loads(forcegate("objects", "show", name.lower()).stdout)
    assert shown["name"] == name and "Color__c (string)" in shown["fields"] and shown["custom"] is True
    assert forcegate("objects", "show", "Nothing__c").returncode == 1
    refused = forcegate("fields", "create", name, "--name", "NoSuffix", "--type", "string")
    assert refused.returncode == 1 and "__c" in refused.stderr


# --- query locators and paging ---------------------------------------------------------------------


def _pages(
    server: Server, caller: Caller, first: dict[str, Any], batch: int | None = None
) -> list[dict[str, Any]]:
    pages = [first]
    while not pages[-1]["done"]:
        match = LOCATOR_URL.match(pages[-1]["nextRecordsUrl"])
        assert match is not None, pages[-1]["nextRecordsUrl"]
        pages.append(
            api.query_more(
                server.ctx, caller, f"{match.group(2)}-{match.group(3)}", VERSION, batch_size=batch
            )
        )
    return pages


def test_when_result_exceeds_batch_then_pages_through_locators(
    server: Server, data: Dataset, widgets: list[str]
) -> None:
    first = api.query(
        server.ctx,
        data.caller,
        "SELECT Size__c FROM Widget__c ORDER BY Size__c DESC",
        VERSION,
        batch_size=200,
    )
    assert (first["totalSize"], first["done"], len(first["records"])) == (450, False, 200)
    match = LOCATOR_URL.match(first["nextRecordsUrl"])
    assert match is not None and match.group(1) == "query" and match.group(3) == "200"
    pages = _pages(server, data.caller, first)
    assert [len(p["records"]) for p in pages] == [200, 200, 50]
    assert all(p["totalSize"] == 450 for p in pages) and "nextRecordsUrl" not in pages[-1]
    sizes = [r["Size__c"] for p in pages for r in p["records"]]
    assert sizes == list(range(449, -1, -1))


def test_when_batch_size_out_of_range_then_clamped_and_limit_respected(
    server: Server, data: Dataset, widgets: list[str]
) -> None:
    small = api.query(server.ctx, data.caller, "SELECT Id FROM Widget__c", VERSION, batch_size=10)
    assert len(small["records"]) == 200
    big = api.query(server.ctx, data.caller, "SELECT Id FROM Widget__c", VERSION, batch_size=5000)
    assert big["done"] is True and len(big["records"]) == 450
    limited = api.query(
        server.ctx,
        data.caller,
        "SELECT Name FROM Widget__c ORDER BY Name LIMIT 300 OFFSET 5",
        VERSION,
        batch_size=200,
    )
    pages = _pages(server, data.caller, limited)
    assert [len(p["records"]) for p in pages] == [200, 100] and pages[0]["totalSize"] == 300
    assert [r["Name"] for p in pages for r in p["records"]] == [f"W{i:03d}" for i in range(5, 305)]


def test_locator_serves_another_process_and_query_all(
    server: Server, data: Dataset, widgets: list[str]
) -> None:
    first = api.query(
        server.ctx, data.caller, "SELECT Name FROM Widget__c ORDER BY Name", VERSION, include_deleted=True
    )
    assert first["done"] is True  # 450 rows fit in the default batch of 2000
    first = api.query(
        server.ctx,
        data.caller,
        "SELECT Name FROM Widget__c ORDER BY Name",
        VERSION,
        include_deleted=True,
        batch_size=400,
    )
    match = LOCATOR_URL.match(first["nextRecordsUrl"])
    assert match is not None and match.group(1) == "queryAll"
    other = Context.from_settings(server.ctx.settings, clock=server.clock)  # a second process's view
    metadata._cache.clear()
    try:
        rest = api.query_more(other, data.caller, f"{match.group(2)}-400", VERSION)
    finally:
        other.db.dispose()
    assert [r["Name"] for r in rest["records"]] == [f"W{i:03d}" for i in range(400, 450)]


def test_when_locator_unknown_foreign_or_expired_then_invalid_query_locator(
    server: Server, data: Dataset, widgets: list[str]
) -> None:
    first = api.query(server.ctx, data.caller, "SELECT Id FROM Widget__c", VERSION, batch_size=200)
    match = LOCATOR_URL.match(first["nextRecordsUrl"])
    assert match is not None
    locator = f"{match.group(2)}-200"
    stranger = Caller(data.org_id, None)
    for caller, candidate in [
        (data.caller, "garbage"),
        (data.caller, "01g000000000000AAA-200"),
        (data.caller, f"{match.group(2)}-99999"),
        (stranger, locator),
        (Caller(server.org_id, data.owner_id), locator),
    ]:
        error = error_of(api.query_more, server.ctx, caller, candidate, VERSION)
        assert (error.error_code, error.status) == ("INVALID_QUERY_LOCATOR", 400)
    assert len(api.query_more(server.ctx, data.caller, locator, VERSION)["records"]) == 200
    server.clock.advance(16 * 60)
    error = error_of(api.query_more, server.ctx, data.caller, locator, VERSION)
    assert error.error_code == "INVALID_QUERY_LOCATOR"


def test_columns_document_describes_selected_columns(server: Server, data: Dataset) -> None:
    document = api.query(
        server.ctx,
        data.caller,
        "SELECT Id, Name, Account.Name, (SELECT Subject FROM Cases) FROM Contact",
        VERSION,
        columns=True,
    )
    assert (
        document["entityName"] == "Contact"
        and document["idSelected"] is True
        and document["keyPrefix"] == "003"
    )
    columns = document["columnMetadata"]
    assert [c["columnName"] for c in columns] == ["Id", "Name", "Account", "Cases"]
    assert columns[0]["apexType"] == "Id" and columns[1]["textType"] is True
    assert [c["columnName"] for c in columns[2]["joinColumns"]] == ["Name"]
    assert columns[3]["aggregate"] is True and columns[3]["joinColumns"][0]["columnName"] == "Subject"
    grouped = api.query(
        server.ctx,
        data.caller,
        "SELECT Industry, COUNT(Id) total FROM Account GROUP BY Industry",
        VERSION,
        columns=True,
    )
    assert grouped["entityName"] == "AggregateResult" and grouped["groupBy"] is True
    assert [(c["columnName"], c["aggregate"]) for c in grouped["columnMetadata"]] == [
        ("Industry", False),
        ("total", True),
    ]


# --- the demo seed -------------------------------------------------------------------------------


def test_demo_seed_is_a_few_hundred_related_records_the_same_every_time(server: Server) -> None:
    now = server.ctx.now_ms()
    with server.ctx.db.write() as conn:
        org = repo.insert_org(conn, name="Demo seed", instance_name="FG8", now_ms=now)
        metadata.install_standard_objects(conn, org.id, now)
        counts = seed_demo(conn, org.id, None, now)
    assert counts == DEMO_COUNTS and sum(counts.values()) >= 300
    caller = Caller(org.id, None)
    for object_name, expected in DEMO_COUNTS.items():
        assert (
            api.query(server.ctx, caller, f"SELECT COUNT() FROM {object_name}", VERSION)["totalSize"]
            == expected
        )
    linked = api.query(server.ctx, caller, "SELECT COUNT() FROM Contact WHERE Account.Name != null", VERSION)
    assert linked["totalSize"] > 100
    names = [
        r["Name"]
        for r in api.query(server.ctx, caller, "SELECT Name FROM Account ORDER BY Name", VERSION)["records"]
    ]
    from sqlalchemy import create_engine, insert  # a second seeding, elsewhere, gives the same records

    from forcegate.storage import schema

    engine = create_engine("sqlite://")
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(schema.orgs).values(
                id=org.id, name="x", instance_name="x", is_sandbox=False, created_ms=now
            )
        )
        seed_demo(conn, org.id, None, now)
        again = sorted((r.name for r in conn.execute(schema.data_accounts.select())), key=str.lower)
    assert again == names


@pytest.mark.parametrize(
    "call",
    [
        lambda ctx, c: api.create_record(ctx, c, "Account", {"Name": "\ud800"}),
        lambda ctx, c: api.create_record(ctx, c, "Account", {"\ud800": 1}),
        lambda ctx, c: api.create_record(ctx, c, "Account", {"Name": "nul\x00byte"}),
        lambda ctx, c: api.create_record(ctx, c, "Account", {"Name": ["a"], "Phone": {"x": 1}}),
        lambda ctx, c: api.create_record(ctx, c, "Contact", {"LastName": "x", "Birthdate": "9999-99-99"}),
        lambda ctx, c: api.query(ctx, c, "SELECT Id FROM Account WHERE Name = '\ud800'", VERSION),
        lambda ctx, c: api.query(ctx, c, "SELECT Id FROM Account WHERE Name = 'nul\\u0000byte'", VERSION),
        lambda ctx, c: api.query(
            ctx, c, "SELECT Id FROM Account WHERE " + "NOT " * 5000 + "Name = 'x'", VERSION
        ),
        lambda ctx, c: api.get_record(ctx, c, "Account", "001000000000000", VERSION, ["\ud800"]),
        lambda ctx, c: api.query_more(ctx, c, "\ud800-2000", VERSION),
    ],
)
def test_hostile_input_gets_a_salesforce_error_or_is_stored_never_a_crash(
    server: Server, data: Dataset, call: Any
) -> None:
    try:
        call(server.ctx, data.caller)
    except DataApiError as error:
        assert error.status in (400, 404) and error.message.encode("utf-8")

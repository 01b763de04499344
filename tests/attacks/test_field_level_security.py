"""Field-level security through relationships: a lookup field or an object the caller may not read
must not be followed, in SOQL or in describe, in either direction (issue 10, M1).

The org has a custom object ``Vault__c`` with a lookup ``Account__c`` to Account (child relationship
``Vaults__r``). Each case reads as a user whose permission set hides one end of a relationship, over
HTTP, and asserts Salesforce's refusal for a name that does not exist, that no hidden value is in the
answer, and that nothing was issued or written.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from forcegate.data import api, metadata
from forcegate.domain import User
from forcegate.model.access import Caller
from tests.attacks.unchanged import nothing_issued
from tests.support.data_api import DATA, admin_client, assign, bearer, permission_set, token_for
from tests.support.server import Server

pytestmark = pytest.mark.storage

FLS = "Salesforce: Field-Level Security (SOQL SELECT: read-level permission for each field)"
CHILD_RELATIONSHIP = "Didn't understand relationship '{}' in FROM part of query call"
PARENT_RELATIONSHIP = "Didn't understand relationship '{}' in field path"
NO_SUCH_COLUMN = "No such column '{}' on entity '{}'"


@dataclass
class Vaults:
    account_id: str
    vault_id: str
    contact_id: str


@pytest.fixture(scope="module")
def vaults(server: Server) -> Vaults:
    """Vault__c (lookup Account__c → Account, child relationship Vaults__r) and one account with a
    vault and a contact, written as the admin CLI does."""
    with server.ctx.db.write() as conn:
        if metadata.load_schema(conn, server.org_id).object("Vault__c") is None:
            metadata.create_custom_object(conn, server.org_id, "Vault__c", now_ms=server.ctx.now_ms())
            metadata.create_custom_field(
                conn, server.org_id, "Vault__c", "Account__c", "reference", reference_to="Account"
            )
    system = Caller(server.org_id, None)
    account_id = api.create_record(
        server.ctx, system, "Account", {"Name": f"Vault holder {secrets.token_hex(3)}"}
    )
    vault_id = api.create_record(server.ctx, system, "Vault__c", {"Name": "Gold", "Account__c": account_id})
    contact_id = api.create_record(
        server.ctx, system, "Contact", {"LastName": "Keyholder", "AccountId": account_id}
    )
    return Vaults(account_id, vault_id, contact_id)


def _user_with(server: Server, **grants: Any) -> User:
    """A "Minimum Access" user with one permission set granting API access and ``grants``."""
    user = server.create_user(profile="Minimum Access")
    with admin_client(server) as admin:
        assign(admin, permission_set(server, admin, api_enabled=True, **grants), user)
    return user


READ = {"read": True}


@pytest.fixture(scope="module")
def lookups_hidden(server: Server, vaults: Vaults) -> Iterator[httpx.Client]:
    """Reads Account, Contact and Vault__c, but neither Contact.AccountId nor Vault__c.Account__c
    (a custom field no permission names is hidden)."""
    user = _user_with(
        server,
        object_permissions={"Account": READ, "Contact": READ, "Vault__c": READ},
        field_permissions={"Contact.AccountId": {}},
    )
    with server.client(headers=bearer(token_for(server, user))) as client:
        yield client


@pytest.fixture(scope="module")
def account_hidden(server: Server, vaults: Vaults) -> Iterator[httpx.Client]:
    """Reads Vault__c and its lookup Account__c, but not the Account object."""
    user = _user_with(
        server,
        object_permissions={"Vault__c": READ, "Contact": READ},
        field_permissions={"Vault__c.Account__c": READ},
    )
    with server.client(headers=bearer(token_for(server, user))) as client:
        yield client


@pytest.fixture(scope="module")
def everything_readable(server: Server, vaults: Vaults) -> Iterator[httpx.Client]:
    """The control: reads both objects and the lookup, so the relationships exist for them."""
    user = _user_with(
        server,
        object_permissions={"Account": READ, "Contact": READ, "Vault__c": READ},
        field_permissions={"Vault__c.Account__c": READ},
    )
    with server.client(headers=bearer(token_for(server, user))) as client:
        yield client


def _query(server: Server, client: httpx.Client, soql: str) -> httpx.Response:
    with nothing_issued(server):
        return client.get(f"{DATA}/query", params={"q": soql})


def _assert_refused(response: httpx.Response, code: str, fragment: str, *hidden: str) -> None:
    assert response.status_code == 400, response.text
    [error] = response.json()
    assert error["errorCode"] == code and fragment in error["message"], error
    for value in hidden:
        assert value not in response.text


@pytest.mark.attack(FLS + "; issue 10 M1: child subquery through a hidden lookup")
@pytest.mark.parametrize(
    ("soql", "relationship"),
    [
        ("SELECT Id, (SELECT Id FROM Vaults__r) FROM Account", "Vaults__r"),
        ("SELECT Id, (SELECT Id, Name FROM vaults__R WHERE Name != null) FROM Account", "vaults__R"),
        ("SELECT Name, (SELECT Id FROM Contacts) FROM Account", "Contacts"),
    ],
)
def test_when_lookup_hidden_then_child_subquery_through_it_is_an_unknown_relationship(
    server: Server,
    vaults: Vaults,
    lookups_hidden: httpx.Client,
    everything_readable: httpx.Client,
    soql: str,
    relationship: str,
) -> None:
    assert _query(server, everything_readable, soql).status_code == 200  # the relationship exists
    response = _query(server, lookups_hidden, soql)
    _assert_refused(
        response, "INVALID_TYPE", CHILD_RELATIONSHIP.format(relationship), vaults.vault_id, vaults.contact_id
    )


@pytest.mark.attack(FLS + "; issue 10: Contact.Account.Name with Contact.AccountId hidden")
@pytest.mark.parametrize(
    ("soql", "relationship"),
    [
        ("SELECT Account.Name FROM Contact", "Account"),
        ("SELECT Id FROM Contact WHERE Account.Name != null", "Account"),
        ("SELECT Id FROM Contact ORDER BY Account.Name", "Account"),
        ("SELECT Account.Name, COUNT(Id) FROM Contact GROUP BY Account.Name", "Account"),
        ("SELECT COUNT(Id) FROM Contact WHERE account.id = null", "account"),
        ("SELECT Account__r.Name FROM Vault__c", "Account__r"),
        ("SELECT Id FROM Vault__c WHERE Account__r.Id != null", "Account__r"),
    ],
)
def test_when_lookup_hidden_then_parent_path_through_it_is_an_unknown_relationship(
    server: Server,
    vaults: Vaults,
    lookups_hidden: httpx.Client,
    everything_readable: httpx.Client,
    soql: str,
    relationship: str,
) -> None:
    assert _query(server, everything_readable, soql).status_code == 200  # the relationship exists
    response = _query(server, lookups_hidden, soql)
    _assert_refused(response, "INVALID_FIELD", PARENT_RELATIONSHIP.format(relationship), vaults.account_id)


@pytest.mark.attack(FLS + "; issue 10 M1: the hidden lookup field itself")
@pytest.mark.parametrize(
    ("soql", "column", "entity"),
    [
        ("SELECT AccountId FROM Contact", "AccountId", "Contact"),
        ("SELECT Id FROM Contact WHERE AccountId != null", "AccountId", "Contact"),
        ("SELECT Account__c FROM Vault__c", "Account__c", "Vault__c"),
        ("SELECT Account__c, COUNT(Id) FROM Vault__c GROUP BY Account__c", "Account__c", "Vault__c"),
    ],
)
def test_when_lookup_hidden_then_the_field_itself_does_not_exist(
    server: Server, vaults: Vaults, lookups_hidden: httpx.Client, soql: str, column: str, entity: str
) -> None:
    response = _query(server, lookups_hidden, soql)
    _assert_refused(response, "INVALID_FIELD", NO_SUCH_COLUMN.format(column, entity), vaults.account_id)


@pytest.mark.attack(FLS + "; issue 10 M1: describe lists no relationship through a hidden lookup")
def test_when_lookup_hidden_then_describe_lists_neither_end_of_the_relationship(
    server: Server, lookups_hidden: httpx.Client, everything_readable: httpx.Client
) -> None:
    control = everything_readable.get(f"{DATA}/sobjects/Account/describe").json()["childRelationships"]
    assert {"Vaults__r", "Contacts"} <= {c["relationshipName"] for c in control}
    with nothing_issued(server):
        account = lookups_hidden.get(f"{DATA}/sobjects/Account/describe")
        contact = lookups_hidden.get(f"{DATA}/sobjects/Contact/describe")
        vault = lookups_hidden.get(f"{DATA}/sobjects/Vault__c/describe")
    assert account.status_code == contact.status_code == vault.status_code == 200
    children = {
        (c["childSObject"], c["field"], c["relationshipName"]) for c in account.json()["childRelationships"]
    }
    assert ("Vault__c", "Account__c", "Vaults__r") not in children
    assert ("Contact", "AccountId", "Contacts") not in children
    assert "AccountId" not in {f["name"] for f in contact.json()["fields"]}
    assert "Account__c" not in {f["name"] for f in vault.json()["fields"]}


@pytest.mark.attack(FLS + "; issue 10 M1: a relationship to an object the user cannot read at all")
def test_when_parent_object_unreadable_then_lookup_leads_nowhere(
    server: Server, vaults: Vaults, account_hidden: httpx.Client
) -> None:
    response = _query(server, account_hidden, "SELECT Account__r.Name FROM Vault__c")
    _assert_refused(response, "INVALID_FIELD", PARENT_RELATIONSHIP.format("Account__r"))
    response = _query(server, account_hidden, "SELECT Account.Name FROM Contact")
    _assert_refused(response, "INVALID_FIELD", PARENT_RELATIONSHIP.format("Account"))
    with nothing_issued(server):
        vault = account_hidden.get(f"{DATA}/sobjects/Vault__c/describe")
        account = account_hidden.get(f"{DATA}/sobjects/Account/describe")
        sobjects = account_hidden.get(f"{DATA}/sobjects")
    lookup = next(f for f in vault.json()["fields"] if f["name"] == "Account__c")
    assert (lookup["relationshipName"], lookup["referenceTo"]) == (None, [])
    contact = account_hidden.get(f"{DATA}/sobjects/Contact/describe").json()
    account_id = next(f for f in contact["fields"] if f["name"] == "AccountId")
    assert (account_id["relationshipName"], account_id["referenceTo"]) == (None, [])
    assert account.status_code == 404
    assert "Account" not in {o["name"] for o in sobjects.json()["sobjects"]}


@pytest.mark.attack(FLS + "; issue 10 M1: a child object the user cannot read at all")
def test_when_child_object_unreadable_then_no_child_relationship(server: Server, vaults: Vaults) -> None:
    user = _user_with(server, object_permissions={"Account": READ})
    with server.client(headers=bearer(token_for(server, user))) as client:
        response = _query(server, client, "SELECT Id, (SELECT Id FROM Vaults__r) FROM Account")
        _assert_refused(response, "INVALID_TYPE", CHILD_RELATIONSHIP.format("Vaults__r"), vaults.vault_id)
        described = client.get(f"{DATA}/sobjects/Account/describe").json()
    assert not {c["childSObject"] for c in described["childRelationships"]} & {"Vault__c", "Contact"}

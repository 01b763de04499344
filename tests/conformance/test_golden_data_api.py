"""Golden files of the data API: versions, resources, limits, describe global, describe Account, a SOQL
query, a record's life, and one of each error (tests/conformance/golden/README.md).

Other tests add custom objects and custom fields (on Account too) to the shared org, so describe
documents are pinned without them: their shape is the standard objects' shape.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conformance.conftest import GoldenOrg
from tests.support.golden import assert_golden, exchange

VERSION = "62.0"
DATA = f"/services/data/v{VERSION}"
ACCOUNT_NAME = "Golden Shape Account"


def _custom(name: Any) -> bool:
    return isinstance(name, str) and name.endswith(("__c", "__r"))


def _without_limits_usage(body: dict[str, Any]) -> dict[str, Any]:
    """What remains of each limit depends on what ran before; the maximum and the keys do not."""
    return {
        name: {k: ("<int>" if k == "Remaining" else v) for k, v in limit.items()}
        if isinstance(limit, dict)
        else limit
        for name, limit in body.items()
    }


def _standard_objects(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "sobjects": [o for o in body["sobjects"] if not o.get("custom")]}


def _standard_fields(body: dict[str, Any]) -> dict[str, Any]:
    return {
        **body,
        "fields": [f for f in body["fields"] if not f.get("custom")],
        "childRelationships": [
            r
            for r in body["childRelationships"]
            if not (
                _custom(r.get("childSObject"))
                or _custom(r.get("field"))
                or _custom(r.get("relationshipName"))
            )
        ],
    }


@pytest.fixture
def data(golden_org: GoldenOrg) -> httpx.Client:
    """An httpx client acting as golden-admin (System Administrator) on the data API."""
    return golden_org.server.client(headers={"Authorization": f"Bearer {golden_org.admin_token()}"})


def _account_id(data: httpx.Client) -> str:
    """The golden account (made once per backend: the query answer then has one record)."""
    found = data.get(f"{DATA}/query", params={"q": f"SELECT Id FROM Account WHERE Name = '{ACCOUNT_NAME}'"})
    records = found.json()["records"]
    if records:
        return str(records[0]["Id"])
    created = data.post(f"{DATA}/sobjects/Account", json={"Name": ACCOUNT_NAME, "Phone": "555-0100"})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


@pytest.mark.parametrize(
    ("name", "path", "shape"),
    [
        ("data_versions", "/services/data", None),
        ("data_resources", DATA, None),
        ("data_limits", f"{DATA}/limits", _without_limits_usage),
        ("data_describe_global", f"{DATA}/sobjects", _standard_objects),
        ("data_describe_account", f"{DATA}/sobjects/Account/describe", _standard_fields),
    ],
)
def test_document(golden_org: GoldenOrg, data: httpx.Client, name: str, path: str, shape: Any) -> None:
    with data:
        response = data.get(path)
    assert_golden(name, exchange(golden_org.normaliser(), response, shape=shape))


def test_query(golden_org: GoldenOrg, data: httpx.Client) -> None:
    normaliser = golden_org.normaliser()
    soql = (
        "SELECT Id, Name, Phone, CreatedDate, Owner.Name, (SELECT LastName FROM Contacts) "
        f"FROM Account WHERE Name = '{ACCOUNT_NAME}'"
    )
    with data:
        _account_id(data)
        document = {
            "query": exchange(
                normaliser, data.get(f"{DATA}/query", params={"q": soql}), f"GET {DATA}/query?q={soql}"
            ),
            "count": exchange(
                normaliser,
                data.get(
                    f"{DATA}/query",
                    params={"q": f"SELECT COUNT() FROM Account WHERE Name = '{ACCOUNT_NAME}'"},
                ),
                f"GET {DATA}/query?q=SELECT COUNT() ...",
            ),
        }
    assert_golden("data_query", document)


def test_record_lifecycle(golden_org: GoldenOrg, data: httpx.Client) -> None:
    normaliser = golden_org.normaliser()
    with data:
        account = _account_id(data)
        created = data.post(
            f"{DATA}/sobjects/Contact", json={"LastName": "Golden Contact", "AccountId": account}
        )
        contact = created.json()["id"]
        document = {
            "create": exchange(normaliser, created),
            "read": exchange(
                normaliser,
                data.get(
                    f"{DATA}/sobjects/Contact/{contact}", params={"fields": "LastName,AccountId,CreatedDate"}
                ),
            ),
            "read_all_fields": exchange(
                normaliser,
                data.get(f"{DATA}/sobjects/Account/{account}"),
                shape=lambda record: {k: v for k, v in record.items() if not _custom(k)},
            ),
            "update": exchange(
                normaliser,
                data.patch(f"{DATA}/sobjects/Contact/{contact}", json={"LastName": "Golden Contact 2"}),
            ),
            "delete": exchange(normaliser, data.delete(f"{DATA}/sobjects/Contact/{contact}")),
            "basic_info": exchange(
                normaliser,
                data.get(f"{DATA}/sobjects/Account"),
                shape=lambda b: {**b, "recentItems": "<recent-items>"},
            ),
        }
    assert_golden("data_records", document)


def test_errors(golden_org: GoldenOrg, data: httpx.Client) -> None:
    normaliser = golden_org.normaliser()
    document: dict[str, Any] = {}
    q = f"{DATA}/query"
    with data:
        account = _account_id(data)
        calls: dict[str, tuple[str, str, dict[str, Any]]] = {
            "malformed_query": ("GET", q, {"params": {"q": "SELEKT Id FROM Account"}}),
            "invalid_field": ("GET", q, {"params": {"q": "SELECT Nope FROM Account"}}),
            "invalid_type": ("GET", q, {"params": {"q": "SELECT Id FROM Nope"}}),
            "unknown_sobject": ("GET", f"{DATA}/sobjects/Nope/describe", {}),
            "record_not_found": ("GET", f"{DATA}/sobjects/Account/001000000000000AAA", {}),
            "malformed_id": ("GET", f"{DATA}/sobjects/Account/not-an-id", {}),
            "unknown_path": ("GET", f"{DATA}/nope", {}),
            "unsupported_version": ("GET", "/services/data/v20.0/sobjects", {}),
            "method_not_allowed": ("PUT", f"{DATA}/sobjects/Account/{account}", {}),
            "invalid_json": (
                "POST",
                f"{DATA}/sobjects/Account",
                {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            ),
            "required_field_missing": (
                "POST",
                f"{DATA}/sobjects/Contact",
                {"json": {"FirstName": "No Last Name"}},
            ),
            "unknown_field_on_create": (
                "POST",
                f"{DATA}/sobjects/Account",
                {"json": {"Name": "x", "Nope": 1}},
            ),
            "invalid_value": (
                "PATCH",
                f"{DATA}/sobjects/Account/{account}",
                {"json": {"NumberOfEmployees": "many"}},
            ),
            "invalid_query_locator": ("GET", f"{q}/01g000000000000AAA-200", {}),
        }
        for name, (method, path, options) in calls.items():
            response = data.request(method, path, **options)
            document[name] = exchange(normaliser, response, f"{method} {normaliser.text(path)}")
    # Users whose profile does not enable the API, or enables it and grants no object.
    api_disabled = golden_org.token("minimum", "minimum", golden_org.profile("minimum"))
    no_objects = golden_org.token("api-only", "api-only", golden_org.profile("api-only", api_enabled=True))
    for name, token, path in (
        ("api_disabled", api_disabled, f"{DATA}/sobjects"),
        ("no_object_access_query", no_objects, f"{q}?q=SELECT+Id+FROM+Account"),
        ("no_object_access_describe", no_objects, f"{DATA}/sobjects/Account/describe"),
        ("no_object_access_create", no_objects, f"{DATA}/sobjects/Account"),
    ):
        with golden_org.server.client(headers={"Authorization": f"Bearer {token}"}) as client:
            if name.endswith("create"):
                response = client.post(path, json={"Name": "Refused"})
            else:
                response = client.get(path)
        document[name] = exchange(normaliser, response, f"{response.request.method} {path}")
    with golden_org.server.client() as anonymous:
        document["no_token"] = exchange(normaliser, anonymous.get(f"{DATA}/sobjects"))
        bad = anonymous.get(
            f"{DATA}/sobjects", headers={"Authorization": "Bearer 00D000000000000!" + "x" * 90}
        )
        document["unknown_token"] = exchange(normaliser, bad, f"GET {DATA}/sobjects (unknown token)")
    assert_golden("data_errors", document)

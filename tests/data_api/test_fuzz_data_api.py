"""Fuzzing the data API (``/services/data/vNN.0``) with schemathesis: query and queryAll (and their
locators), describe, and records created, read, updated and deleted, over HTTP with a System
Administrator's bearer token, on both backends. Whatever arrives, the answer is below 500 and the
server logs no error.

The data API has no OpenAPI document of its own, so this file writes one for the fuzzed routes
from the org's own describe: a record body gets every createable field with its type, length and
picklist values (so valid records are created and the type checks are reached), record IDs are
real ones part of the time, and SOQL is drawn from a small grammar as well as from noise.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.schemas import BaseSchema

from tests.support.data_api import DATA, bearer, token_for
from tests.support.fuzzing import ServerLog, examples, fuzz_server_for, server_log
from tests.support.server import Server

__all__ = ["server_log"]  # the fixture, imported for the tests below

OBJECTS = ("Account", "Contact", "Opportunity", "Lead", "Case", "User")
# The describe type of a field -> the JSON schema of its value in a record body.
VALUE_SCHEMAS: dict[str, dict[str, Any]] = {
    "boolean": {"type": "boolean"},
    "int": {"type": "integer"},
    "double": {"type": "number"},
    "currency": {"type": "number"},
    "percent": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}
FIELDS = "(Id|Name|CreatedDate|LastModifiedDate|Industry|AnnualRevenue|Account\\.Name|Owner\\.Name)"
SOQL = (
    f"^SELECT (COUNT\\(\\)|{FIELDS}(, {FIELDS}){{0,3}}) FROM (Account|Contact|Opportunity|Lead|Case|User)"
    f"( WHERE {FIELDS} (=|!=|<|>|LIKE|IN) ('[a-z%_]{{0,4}}'|[0-9]{{1,4}}|null|TODAY"
    "|(LAST|NEXT)_N_(DAYS|YEARS):[0-9]{1,12}|\\('a', 'b'\\)))?"
    "( ORDER BY Name (ASC|DESC)( NULLS (FIRST|LAST))?)?( LIMIT [0-9]{1,4})?( OFFSET [0-9]{1,3})?$"
)
# 29 operations x 8 = 232 cases per backend.
PER_OPERATION = 8


def _field_schema(field: dict[str, Any]) -> dict[str, Any]:
    if field["type"] in VALUE_SCHEMAS:
        schema = dict(VALUE_SCHEMAS[field["type"]])
    elif field["type"] == "picklist":
        values = [v["value"] for v in field.get("picklistValues", [])]
        schema = {"anyOf": [{"enum": values}, {"type": "string"}]} if values else {"type": "string"}
    else:
        schema = {"type": "string", "maxLength": field["length"] or 255}
    return {"anyOf": [schema, {"type": "null"}]} if field["nillable"] else schema


def _record_schema(describe: dict[str, Any], key: str) -> dict[str, Any]:
    fields = [f for f in describe["fields"] if f[key]]
    return {
        "type": "object",
        "properties": {f["name"]: _field_schema(f) for f in fields},
        "required": [f["name"] for f in fields if key == "createable" and not f["nillable"]
                     and not f["defaultedOnCreate"]],
    }  # fmt: skip


def _parameter(name: str, where: str, schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema}


def _document(describes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An OpenAPI 3.1 document for the fuzzed data-API routes of this org."""
    text = {"type": "string"}
    options = _parameter(
        "Sforce-Query-Options", "header", {"type": "string", "pattern": "^batchSize=[0-9]{1,30}$"}, False
    )
    query = {
        "get": {
            "parameters": [
                _parameter("q", "query", text),
                _parameter("columns", "query", text, False),
                options,
            ],
            "responses": {"200": {"description": "records"}},
        }
    }
    paths: dict[str, Any] = {
        f"{DATA}/query": query,
        f"{DATA}/queryAll": query,
        f"{DATA}/query/{{locator}}": {
            "get": {
                "parameters": [_parameter("locator", "path", text), options],
                "responses": {"200": {"description": "the next batch"}},
            }
        },
        f"{DATA}/sobjects": {"get": {"responses": {"200": {"description": "describe global"}}}},
        f"{DATA}/sobjects/{{sobject}}/describe": {
            "get": {
                "parameters": [_parameter("sobject", "path", text)],
                "responses": {"200": {"description": "describe"}},
            }
        },
    }
    for name, describe in describes.items():
        record_id = _parameter("record_id", "path", text)
        paths[f"{DATA}/sobjects/{name}"] = {
            "post": {
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _record_schema(describe, "createable")}}},
                "responses": {"201": {"description": "created"}},
            }
        }  # fmt: skip
        paths[f"{DATA}/sobjects/{name}/{{record_id}}"] = {
            "get": {
                "parameters": [record_id, _parameter("fields", "query", text, False)],
                "responses": {"200": {"description": "the record"}},
            },
            "patch": {
                "parameters": [record_id],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _record_schema(describe, "updateable")}}},
                "responses": {"204": {"description": "updated"}},
            },
            "delete": {"parameters": [record_id], "responses": {"204": {"description": "deleted"}}},
        }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": "forcegate data API (fuzzed routes)", "version": "62.0"},
        "paths": paths,
    }


@dataclass
class DataFuzz:
    server: Server
    schema: BaseSchema
    headers: dict[str, str]
    ids: dict[str, list[str]]  # real record IDs by object


@pytest.fixture(scope="module")
def fuzz(backend: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataFuzz]:
    for server in fuzz_server_for(backend[0], tmp_path_factory.mktemp("fuzz-data")):
        headers = bearer(token_for(server, server.create_user(profile="System Administrator")))
        describes: dict[str, dict[str, Any]] = {}
        ids: dict[str, list[str]] = {}
        with server.client(headers=headers) as client:
            for name in OBJECTS:
                describe = client.get(f"{DATA}/sobjects/{name}/describe")
                assert describe.status_code == 200, describe.text
                describes[name] = describe.json()
            account = client.post(f"{DATA}/sobjects/Account", json={"Name": "Fuzz"}).json()["id"]
            contact = client.post(f"{DATA}/sobjects/Contact", json={"LastName": "Fuzz", "AccountId": account})
            users = client.get(f"{DATA}/query", params={"q": "SELECT Id FROM User"}).json()["records"]
        ids = {name: [account[:15]] for name in OBJECTS}
        ids |= {"Account": [account, account[:15]], "Contact": [contact.json()["id"]],
                "User": [u["Id"] for u in users]}  # fmt: skip
        yield DataFuzz(server, schemathesis.openapi.from_dict(_document(describes)), headers, ids)


# What the document leaves to chance, drawn from values that reach further: SOQL from a grammar,
# object names and record IDs that exist (and some that almost do).
SOQL_FRAGMENTS = [
    "SELECT",
    "Id",
    "Name",
    ",",
    "FROM",
    "Account",
    "Contact",
    "WHERE",
    "=",
    "'x'",
    "AND",
    "OR",
    "NOT",
    "(",
    ")",
    "LIMIT",
    "5",
    "ORDER BY",
    "COUNT()",
    "GROUP BY",
    "Industry",
    "IN",
    "LIKE",
    "'%'",
    "null",
    "TODAY",
    "NEXT_N_DAYS:2",
    "2026-01-01",
    "Account.Name",
    "\\",
    "'",
]
SOQL_TEXT = st.one_of(
    st.from_regex(SOQL, fullmatch=True),
    st.lists(st.sampled_from(SOQL_FRAGMENTS), max_size=20).map(" ".join),
    st.text(max_size=100),
)
SOBJECTS = st.one_of(
    st.sampled_from([*OBJECTS, "account", "Nothing__c", "Account__r", "LoginHistory"]), st.text()
)
LOCATORS = st.one_of(st.from_regex(r"\A01g[0-9A-Za-z]{15}-[0-9]{1,6}\Z"), st.text())
FIELD_LISTS = st.lists(st.sampled_from(["Id", "Name", "Account.Name", "Nope", "", " ", "CreatedDate"]),
                       max_size=4).map(",".join)  # fmt: skip


def _record_ids(fuzz: DataFuzz, name: str) -> st.SearchStrategy[str]:
    real = fuzz.ids[name]
    return st.one_of(
        st.sampled_from(real),
        st.sampled_from(real).map(str.lower),  # an 18-character ID is case-insensitive
        st.from_regex(r"\A[0-9A-Za-z]{15}([0-9A-Za-z]{3})?\Z"),
        st.text(max_size=20),
    )


def _fixed(fuzz: DataFuzz, path: str, method: str) -> st.SearchStrategy[dict[str, Any]]:
    """Values for the operation's parameters that schemathesis would rarely find on its own."""
    if path.endswith(("/query", "/queryAll")):
        return st.builds(lambda q: {"query": {"q": q}}, SOQL_TEXT)
    if path.endswith("{locator}"):
        return st.builds(lambda locator: {"path_parameters": {"locator": locator}}, LOCATORS)
    if path.endswith("/describe"):
        return st.builds(lambda sobject: {"path_parameters": {"sobject": sobject}}, SOBJECTS)
    if path.endswith("{record_id}"):
        name = path.split("/")[-2]
        ids = st.builds(lambda i: {"path_parameters": {"record_id": i}}, _record_ids(fuzz, name))
        if method == "GET":
            return st.builds(lambda f, fields: {**f, "query": {"fields": fields}}, ids, FIELD_LISTS)
        return ids
    return st.just({})


def _cases(fuzz: DataFuzz, path: str, method: str) -> st.SearchStrategy[Any]:
    operation = fuzz.schema[path][method]
    fixed = st.one_of(st.just({}), _fixed(fuzz, path, method))
    return st.tuples(st.sampled_from(list(GenerationMode)), fixed).flatmap(
        lambda choice: operation.as_strategy(choice[0], **choice[1])
    )


OPERATIONS = [
    (f"{DATA}/query", "GET"),
    (f"{DATA}/queryAll", "GET"),
    (f"{DATA}/query/{{locator}}", "GET"),
    (f"{DATA}/sobjects", "GET"),
    (f"{DATA}/sobjects/{{sobject}}/describe", "GET"),
    *[(f"{DATA}/sobjects/{name}", "POST") for name in OBJECTS],
    *[(f"{DATA}/sobjects/{name}/{{record_id}}", m) for name in OBJECTS for m in ("GET", "PATCH", "DELETE")],
]


@pytest.mark.parametrize(
    ("path", "method"), OPERATIONS, ids=[f"{m} {p.removeprefix(DATA)}" for p, m in OPERATIONS]
)
def test_data_api_answers_below_500_and_logs_no_error(
    fuzz: DataFuzz, server_log: ServerLog, path: str, method: str
) -> None:
    session = requests.Session()

    @examples(PER_OPERATION)
    @given(case=_cases(fuzz, path, method))
    def run(case: Any) -> None:
        with server_log.no_new_errors(case):
            response = case.call(base_url=fuzz.server.url, session=session, headers=fuzz.headers, timeout=30)
        assert response.status_code < 500, (case, response.status_code, response.text[:500])

    run()

"""Resource exhaustion through SOQL and the query options: whatever the size of a query, its date
literals or its batch size, the answer is Salesforce's 400 (or a clamped success), never a 500
(issue 10, L3, L4, L5)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.attacks.unchanged import nothing_issued
from tests.support.data_api import DATA, bearer, token_for
from tests.support.server import Server

pytestmark = pytest.mark.storage

TOO_COMPLICATED = {
    "errorCode": "QUERY_TOO_COMPLICATED",
    "message": "Query is either selecting too many fields or the filter conditions are too complicated.",
}
LIMITS = "Salesforce: SOQL and SOSL Limits (SOQL statements; QUERY_TOO_COMPLICATED)"
MAX_FILTER_CONDITIONS = 300
MAX_NESTING = 25  # NOT / AND / OR levels


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client(
        headers=bearer(token_for(server, server.create_user(profile="System Administrator")))
    ) as c:
        yield c


def _query(server: Server, client: httpx.Client, soql: str, **headers: str) -> httpx.Response:
    with nothing_issued(server):
        return client.get(f"{DATA}/query", params={"q": soql}, headers=headers)


def _error(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 400, response.text[:500]
    [error] = response.json()
    assert set(error) == {"errorCode", "message"}
    return dict(error)


# --- L3: date literals whose N leaves the calendar ---------------------------------------------------


@pytest.mark.attack("Salesforce: Date Formats and Date Literals in WHERE (N is an integer); issue 10 L3")
@pytest.mark.parametrize(
    "literal",
    [
        "LAST_N_DAYS:99999999999",
        "NEXT_N_YEARS:999999999",
        "NEXT_N_DAYS:2147483647",
        "N_DAYS_AGO:3000000",
        "LAST_N_WEEKS:999999999",
        "NEXT_N_MONTHS:999999999",
        "LAST_N_QUARTERS:99999999",
        "LAST_N_YEARS:10000",
        "NEXT_N_QUARTERS:" + "9" * 5000,
        "LAST_N_DAYS:-99999999999",
    ],
)
def test_when_date_literal_n_out_of_range_then_malformed_query(
    server: Server, client: httpx.Client, literal: str
) -> None:
    for field in ("CreatedDate", "CloseDate"):  # a date-time and a date
        response = _query(server, client, f"SELECT Id FROM Opportunity WHERE {field} = {literal}")
        error = _error(response)
        assert error["errorCode"] == "MALFORMED_QUERY", error
        assert "ERROR at Row:1:Column:" in error["message"] and literal[:40] in error["message"]


@pytest.mark.attack(
    "Salesforce: Date Formats and Date Literals in WHERE; issue 10 L3 (the refusal stops at the calendar)"
)
def test_when_date_literal_n_large_but_in_range_then_answered(server: Server, client: httpx.Client) -> None:
    for literal in ("LAST_N_DAYS:700000", "NEXT_N_YEARS:7000", "LAST_N_QUARTERS:8000"):
        response = _query(server, client, f"SELECT COUNT() FROM Opportunity WHERE CloseDate = {literal}")
        assert response.status_code == 200, response.text


# --- L4: long and deep conditions --------------------------------------------------------------------


def _chain(operator: str, terms: int, term: str = "Name != 'n{}'") -> str:
    return f" {operator} ".join(term.format(i) for i in range(terms))


def _alternating(depth: int, leaf: str) -> str:
    condition = leaf
    for level in range(depth - 1):
        condition = f"{leaf} {'AND' if level % 2 else 'OR'} ({condition})"
    return condition


@pytest.mark.attack(LIMITS + "; issue 10 L4: a long AND/OR chain")
@pytest.mark.parametrize(
    "where",
    [
        _chain("AND", 500),
        _chain("OR", 500),
        _chain("OR", MAX_FILTER_CONDITIONS + 1, "Name = 'n{}'"),
        _chain("AND", 1500, "Name > '{}'"),
        " OR ".join(f"({_chain('AND', 20)})" for _ in range(40)),
        "NOT (" + _chain("OR", 400, "CreatedDate = LAST_N_DAYS:{}") + ")",
    ],
    ids=["and-500", "or-500", "or-limit+1", "and-1500", "or-of-ands-800", "not-or-400-date-literals"],
)
def test_when_filter_has_too_many_conditions_then_query_too_complicated(
    server: Server, client: httpx.Client, where: str
) -> None:
    for soql in (
        f"SELECT Id FROM Account WHERE {where}",
        f"SELECT Id, (SELECT Id FROM Contacts WHERE {where}) FROM Account",
        f"SELECT COUNT(Id) FROM Account WHERE {where}",
    ):
        assert _error(_query(server, client, soql)) == TOO_COMPLICATED


@pytest.mark.attack(LIMITS + "; issue 10 L4: the costliest conditions up to the limit")
def test_when_filter_at_the_condition_limit_then_answered_on_every_backend(
    server: Server, client: httpx.Client
) -> None:
    """The limit is below what the backends can evaluate, for the costliest shapes of a condition."""
    terms = MAX_FILTER_CONDITIONS
    for where in (
        _chain("AND", terms),
        _chain("OR", terms, "CreatedDate != LAST_N_DAYS:{}"),
        "NOT ("
        + _chain("AND", terms // 2)
        + ") OR NOT ("
        + _chain("OR", terms // 2, "Phone NOT IN ('{}')")
        + ")",
    ):
        response = _query(server, client, f"SELECT Id FROM Account WHERE {where} LIMIT 1")
        assert response.status_code == 200, response.text[:500]


@pytest.mark.attack("OWASP ASVS 5.0 V1.5 (parser resource limits); issue 10 L4: deep nesting")
@pytest.mark.parametrize(
    "where",
    [
        "(" * 51 + "Name = 'x'" + ")" * 51,
        "(" * 4_000 + "Name = 'x'" + ")" * 4_000,
        "NOT " * 5_000 + "Name = 'x'",
        "NOT " * MAX_NESTING + "Name = 'x'",
        "NOT (" * 45 + "Name = 'x'" + ")" * 45,
        _alternating(40, "Name != 'x'"),
        "(" * 8_000,
        "Name = 'x' AND " + "(Name = 'x' OR " * 60 + "Name = 'x'" + ")" * 60,
    ],
    ids=[
        "parens-51",
        "parens-4000",
        "not-5000",
        "not-limit+1",
        "not-parens-45",
        "alternating-40",
        "unclosed-8000",
        "alternating-60",
    ],
)
def test_when_condition_nested_too_deeply_then_malformed_query(
    server: Server, client: httpx.Client, where: str
) -> None:
    error = _error(_query(server, client, f"SELECT Id FROM Account WHERE {where}"))
    assert error["errorCode"] == "MALFORMED_QUERY", error


@pytest.mark.attack("OWASP ASVS 5.0 V1.5; issue 10 L4: the deepest nesting allowed, on every backend")
@pytest.mark.parametrize(
    "where",
    [
        "NOT (" * (MAX_NESTING - 1) + "Name NOT IN ('a', null)" + ")" * (MAX_NESTING - 1),
        _alternating(MAX_NESTING, "CreatedDate != LAST_N_DAYS:3"),
        _alternating(MAX_NESTING, "Phone NOT IN ('1', null)"),
        "NOT " * (MAX_NESTING - 1) + "Name != 'x'",
    ],
    ids=["not-in", "alternating-date-literal", "alternating-not-in", "not-chain"],
)
def test_when_nesting_at_the_limit_then_answered_on_every_backend(
    server: Server, client: httpx.Client, where: str
) -> None:
    """SQLite's parser overflows from about 35 parenthesised levels: the limit stays below it."""
    for soql in (
        f"SELECT Id FROM Account WHERE {where}",
        f"SELECT Id, (SELECT Id FROM Contacts) FROM Account WHERE {where}",
    ):
        response = _query(server, client, soql)
        assert response.status_code == 200, response.text[:500]
    deeper = _error(_query(server, client, f"SELECT Id FROM Account WHERE NOT ({where})"))
    assert deeper["errorCode"] == "MALFORMED_QUERY" and "nested too deeply" in deeper["message"]


@pytest.mark.attack(LIMITS + "; issue 10 L4: every other clause made long")
@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id FROM Account ORDER BY " + ", ".join(["Name"] * 3000),
        "SELECT Name FROM Account GROUP BY " + ", ".join(["Name"] * 3000),
        "SELECT " + ", ".join(["COUNT(Id)"] * 3000) + " FROM Account",
        "SELECT " + ", ".join(["MAX(Name)"] * 2500) + " FROM Account GROUP BY Name",
        "SELECT Id, " + ", ".join(["(SELECT Id FROM Contacts)"] * 300) + " FROM Account",
        "SELECT Id, " + ", ".join(["(SELECT Id FROM Contacts)"] * 21) + " FROM Account",
    ],
    ids=[
        "order-by-3000",
        "group-by-3000",
        "count-3000",
        "max-2500",
        "subqueries-300",
        "subqueries-21",
    ],
)
def test_when_a_clause_is_huge_then_a_salesforce_error_never_a_500(
    server: Server, client: httpx.Client, soql: str
) -> None:
    error = _error(_query(server, client, soql))
    assert error["errorCode"] in ("MALFORMED_QUERY", "QUERY_TOO_COMPLICATED"), error


# --- L5: the batch size header -----------------------------------------------------------------------


@pytest.mark.attack("Salesforce: Query Options Header (batchSize: minimum 200, maximum 2,000); issue 10 L5")
@pytest.mark.parametrize(
    ("value", "batch"),
    [("9" * 5000, 2000), ("0" * 4999 + "1", 200), ("99999999999999999999", 2000), ("1", 200)],
    ids=["5000-digits", "5000-digits-of-one", "20-digits", "one"],
)
def test_when_batch_size_huge_then_clamped_as_salesforce_does(
    server: Server, client: httpx.Client, value: str, batch: int
) -> None:
    options = {"Sforce-Query-Options": f"batchSize={value}"}
    response = _query(server, client, "SELECT Id FROM User", **options)
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    assert len(body["records"]) == min(batch, body["totalSize"])
    more = client.get(f"{DATA}/query/01gAAAAAAAAAAAAAAA-200", headers=options)
    assert more.status_code == 400 and more.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"

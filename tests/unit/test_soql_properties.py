"""Property-based checks of the SOQL front end: whatever the input, the parser answers a query or a
SoqlError (never another exception), the data API answers or raises DataApiError, and values from the
query reach the database only as bound parameters."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from forcegate.data import api
from forcegate.data.errors import DataApiError
from forcegate.data.metadata import load_schema
from forcegate.model.access import FULL_ACCESS, Caller
from forcegate.model.objects import OrgSchema
from forcegate.soql.errors import SoqlError
from forcegate.soql.parser import parse
from forcegate.soql.translate import compile_query
from tests.support.server import Server

FRAGMENTS = [
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "LIKE", "IN", "NOT IN", "GROUP BY", "ORDER BY", "LIMIT",
    "OFFSET", "ASC", "DESC", "NULLS FIRST", "NULLS LAST", "COUNT()", "COUNT(Id)", "SUM(", "MAX(", "(", ")",
    ",", ".", "=", "!=", "<>", "<", "<=", ">", ">=", ":", "Id", "Name", "Account", "Contact", "Contacts",
    "Account.Name", "Industry", "NumberOfEmployees", "CreatedDate", "CloseDate", "null", "true", "FALSE",
    "'x'", "'it\\'s'", "'\\u0041'", "'%a_'", "42", "-3.5", "2026-01-01", "2026-01-01T00:00:00Z", "TODAY",
    "LAST_N_DAYS:3", "N_DAYS_AGO", "\"", "\\", "--", ";", "/*", "*/", "\n", "\t", "é", "\x00",
]  # fmt: skip
soup = st.lists(st.sampled_from(FRAGMENTS), max_size=25).map(" ".join)
anything = st.text(max_size=200)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        anything, soup, soup.map(lambda s: "SELECT " + s), soup.map(lambda s: "SELECT Id FROM Account " + s)
    )
)
def test_parser_answers_a_query_or_a_soql_error(text: str) -> None:
    try:
        parse(text)
    except SoqlError as error:
        assert error.error_code == "MALFORMED_QUERY" and error.message


def test_parser_refuses_deep_nesting_and_huge_input() -> None:
    with pytest.raises(SoqlError):
        parse("SELECT Id FROM Account WHERE " + "(" * 5000 + "Name = 'x'" + ")" * 5000)
    with pytest.raises(SoqlError):
        parse("SELECT Id FROM Account WHERE Name = '" + "x" * 200_000 + "'")
    with pytest.raises(SoqlError):
        parse("SELECT Id FROM Account WHERE " + "NOT " * 20_000 + "Name = 'x'")
    assert parse("SELECT Id FROM Account WHERE " + "NOT " * 24 + "Name = 'x'").where is not None
    with pytest.raises(SoqlError):
        parse("SELECT Id FROM Account WHERE " + "NOT " * 25 + "Name = 'x'")
    many = " OR ".join(f"Industry IN ('a{i}', 'b{i}')" for i in range(200))  # 200 parentheses, not nested
    assert parse(f"SELECT COUNT() FROM Account WHERE {many}").where is not None


# Distinctive values: a marker no SQL text contains, followed by anything (quotes, backslashes, SQL).
marked = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30).map(
    lambda s: "zqx" + s
)
numbers = st.integers(min_value=10_000, max_value=10**15)


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@st.composite
def queries_with_values(draw: st.DrawFn) -> tuple[str, list[str]]:
    text = draw(marked)
    other = draw(marked)
    number = draw(numbers)
    template = draw(
        st.sampled_from(
            [
                "SELECT Id FROM Account WHERE Name = {s}",
                "SELECT Id FROM Account WHERE Name != {s} OR Industry IN ({s}, {t})",
                "SELECT Id FROM Account WHERE Name LIKE {s} AND NumberOfEmployees > {n}",
                "SELECT Name, Account.Name FROM Contact WHERE Account.Name = {s} ORDER BY LastName LIMIT 5",
                "SELECT Id FROM Account WHERE NOT (Rating NOT IN ({t}) AND AnnualRevenue <= {n})",
                "SELECT Industry, COUNT(Id) FROM Account WHERE Name < {s} GROUP BY Industry",
                "SELECT Name, (SELECT LastName FROM Contacts WHERE Email = {t}) FROM Account WHERE "
                "Phone >= {s}",
            ]
        )
    )
    soql = template.format(s=_quote(text), t=_quote(other), n=number)
    used = [v for key, v in (("{s}", text), ("{t}", other), ("{n}", str(number))) if key in template]
    return soql, used


@pytest.fixture
def schema(server: Server) -> OrgSchema:
    with server.ctx.db.read() as conn:
        return load_schema(conn, server.org_id)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(queries_with_values())
def test_query_values_reach_sql_only_as_bound_parameters(
    schema: OrgSchema, case: tuple[str, list[str]]
) -> None:
    soql, values = case
    caller = Caller(schema.org_id, None, FULL_ACCESS)
    for postgres, dialect in ((False, sqlite.dialect()), (True, postgresql.dialect())):
        compiled = compile_query(schema, caller, parse(soql), today=dt.date(2026, 11, 29), postgres=postgres)
        statements = [compiled.statement] + [child.compiled.statement for child in compiled.children]
        sql_texts = [str(s.compile(dialect=dialect)) for s in statements]
        for value in values:
            for sql in sql_texts:
                assert value not in sql
                assert value.lower() not in sql
        bound: list[str] = []
        for statement in statements:
            for param in statement.compile(dialect=dialect).params.values():
                bound.extend(str(v) for v in (param if isinstance(param, list) else [param]))
        # Every value the query uses is among the parameters (lower-cased for strings; LIKE patterns
        # keep their backslashes escaped for SQL's ESCAPE '\\').
        unescaped = {b.replace("\\\\", "\\") for b in bound} | set(bound)
        for value in values:
            assert value in unescaped or value.lower() in unescaped


@pytest.mark.storage
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(soup.map(lambda s: "SELECT Id FROM Account " + s), queries_with_values().map(lambda c: c[0]))
)
def test_data_api_answers_or_raises_data_api_error(server: Server, soql: str) -> None:
    caller = Caller(server.org_id, None)
    try:
        result = api.query(server.ctx, caller, soql, "62.0")
    except DataApiError as error:
        assert error.status == 400 and error.error_code
    else:
        assert result["done"] in (True, False) and isinstance(result["records"], list)

"""SOQL injection: quotes, comments, stacked statements and SQL identifiers smuggled through SOQL
(the query and queryAll paths) and through record URLs never reach the SQL underneath. A string
literal matches itself, literally; anything else is Salesforce's 400 MALFORMED_QUERY / INVALID_FIELD
/ INVALID_TYPE, and no row changes.

OWASP ASVS 5.0 V1.2.4 (parameterized queries), CWE-89; Salesforce: SOQL escape sequences (SOQL and
SOSL Reference, "Quoted String Escape Sequences"), REST API error codes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from forcegate.storage import schema
from tests.attacks.refusals import assert_api_error
from tests.attacks.unchanged import nothing_issued
from tests.support.data_api import DATA, bearer, token_for
from tests.support.server import Server


@dataclass
class Org:
    api: httpx.Client
    marker: str  # unique to this test: every record it made has it in Name

    def query(self, soql: str, path: str = "query") -> httpx.Response:
        return self.api.get(f"{DATA}/{path}", params={"q": soql})

    def names(self, soql: str, path: str = "query") -> list[str]:
        answer = self.query(soql, path)
        assert answer.status_code == 200, answer.text
        return sorted(r["Name"] for r in answer.json()["records"])


@pytest.fixture(scope="module")
def org(server: Server) -> Iterator[Org]:
    admin = server.create_user(profile="System Administrator")
    marker = f"inj{secrets.token_hex(4)}"
    with server.client(headers=bearer(token_for(server, admin))) as api:
        for name in ("plain", "it's", "a' OR '1'='1", "back\\slash"):
            created = api.post(f"{DATA}/sobjects/Account", json={"Name": f"{marker} {name}"})
            assert created.status_code == 201, created.text
        yield Org(api, marker)


def _row_counts(server: Server) -> tuple[int, int]:
    with server.ctx.db.read() as conn:
        return (
            int(conn.execute(select(func.count()).select_from(schema.users)).scalar_one()),
            int(conn.execute(select(func.count()).select_from(schema.access_tokens)).scalar_one()),
        )


@pytest.mark.attack("CWE-89 / Salesforce SOQL escape sequences (escaped quote matches itself only)")
@pytest.mark.parametrize("path", ["query", "queryAll"])
def test_escaped_quote_is_a_literal_not_a_break_out(server: Server, org: Org, path: str) -> None:
    with nothing_issued(server):
        names = org.names(f"SELECT Name FROM Account WHERE Name = '{org.marker} a\\' OR \\'1\\'=\\'1'", path)
    assert names == [f"{org.marker} a' OR '1'='1"]


@pytest.mark.attack("CWE-89 (SQL tautology in a LIKE pattern matches nothing extra)")
def test_sql_tautology_inside_a_literal_matches_nothing(server: Server, org: Org) -> None:
    with nothing_issued(server):
        names = org.names(f"SELECT Name FROM Account WHERE Name LIKE '{org.marker}%\\' OR 1=1 --'")
    assert names == []


@pytest.mark.attack("CWE-89 (backslash escapes: an escaped backslash stays one character)")
def test_escaped_backslash_matches_itself(server: Server, org: Org) -> None:
    with nothing_issued(server):
        names = org.names(f"SELECT Name FROM Account WHERE Name = '{org.marker} back\\\\slash'")
    assert names == [f"{org.marker} back\\slash"]


@pytest.mark.attack("CWE-89 / Salesforce MALFORMED_QUERY (quote breaking, comments, stacked statements)")
@pytest.mark.parametrize(
    "soql",
    [
        pytest.param(
            "SELECT Name FROM Account WHERE Name = 'x'' OR ''1''=''1'", id="doubled-quote-sql-style"
        ),
        pytest.param("SELECT Name FROM Account WHERE Name = 'unterminated\\'", id="escaped-closing-quote"),
        pytest.param("SELECT Name FROM Account WHERE Name = 'x' OR 1=1", id="numeric-tautology"),
        pytest.param("SELECT Name FROM Account -- WHERE Name = 'x'", id="line-comment"),
        pytest.param("SELECT Name FROM Account /* comment */ WHERE Name = 'x'", id="block-comment"),
        pytest.param("SELECT Name FROM Account; DELETE FROM users", id="stacked-statement"),
        pytest.param("SELECT Name FROM Account UNION SELECT password_hash FROM users", id="union"),
        pytest.param(
            "SELECT Name FROM Account WHERE Name = \u2018x\u2019 OR \u20181\u2019=\u20181\u2019",
            id="curly-quotes",
        ),
        pytest.param("SELECT Name FROM Account ORDER BY (SELECT 1)", id="subquery-in-order-by"),
        pytest.param(
            "SELECT Name FROM Account WHERE Name = 'x' AND sqlite_version() != ''", id="sql-function"
        ),
    ],
)
@pytest.mark.parametrize("path", ["query", "queryAll"])
def test_injected_sql_syntax_is_a_malformed_query(server: Server, org: Org, soql: str, path: str) -> None:
    before = _row_counts(server)
    with nothing_issued(server):
        answer = org.query(soql, path)
    assert_api_error(answer, 400, "MALFORMED_QUERY")
    assert _row_counts(server) == before


@pytest.mark.attack("CWE-89 (SQL identifiers: a storage column is not a SOQL field)")
@pytest.mark.parametrize(
    ("soql", "error_code"),
    [
        pytest.param("SELECT password_hash FROM User", "INVALID_FIELD", id="password-hash-column"),
        pytest.param('SELECT Id, "password_hash" FROM User', "MALFORMED_QUERY", id="quoted-identifier"),
        pytest.param(
            "SELECT Id FROM User WHERE password_hash != null", "INVALID_FIELD", id="column-in-where"
        ),
    ],
)
def test_storage_columns_are_not_fields(server: Server, org: Org, soql: str, error_code: str) -> None:
    with nothing_issued(server):
        answer = org.query(soql)
    assert_api_error(answer, 400, error_code)
    assert "argon2" not in answer.text


@pytest.mark.attack("CWE-89 (SQL table names: a storage table is not an sObject)")
@pytest.mark.parametrize("table", ["users", "access_tokens", "connected_apps", "sqlite_master"])
def test_storage_tables_are_not_objects(server: Server, org: Org, table: str) -> None:
    with nothing_issued(server):
        answer = org.query(f"SELECT Id FROM {table}")
    assert_api_error(answer, 400, "INVALID_TYPE")


@pytest.mark.attack("CWE-89 (injection through the record URL and its fields parameter)")
@pytest.mark.parametrize(
    ("suffix", "params"),
    [
        pytest.param("001' OR '1'='1", {}, id="record-id"),
        pytest.param("001000000000000AAA", {"fields": "Name FROM User --"}, id="fields-parameter"),
    ],
)
def test_record_url_injection_is_refused(
    server: Server, org: Org, suffix: str, params: dict[str, str]
) -> None:
    with nothing_issued(server):
        answer = org.api.get(f"{DATA}/sobjects/Account/{suffix}", params=params)
    print("CODE", answer.status_code, answer.text)
    assert answer.status_code in (400, 404), answer.text
    assert answer.json()[0]["errorCode"] in ("NOT_FOUND", "MALFORMED_ID", "INVALID_FIELD")

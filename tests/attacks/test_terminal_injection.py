"""Terminal injection through the client CLI (issue 10, M6): record values, field labels and error
messages a server sends are printed as inert text: never read as Rich markup, never an escape
sequence that reaches the terminal. Records are created through the data API as any org user could,
then the real ``forcegate`` commands print them."""

from __future__ import annotations

import csv
import io
import json
import secrets
from pathlib import Path

import httpx
import pytest

from forcegate.data import metadata
from forcegate.domain import User
from tests.attacks.unchanged import nothing_issued
from tests.support.client_cli import Cli
from tests.support.data_api import DATA, bearer, token_for
from tests.support.server import Server

CWE_150 = "CWE-150 / OWASP ASVS 5.0 V1.2 (output encoding): terminal escape injection"
CWE_116 = "CWE-116 / OWASP ASVS 5.0 V1.2: markup injection into a console renderer"

ESC = "\x1b"
# Each hostile record name, and how the CLI must show it: markup as the text it is, every control
# character as a visible escape.
HOSTILE_NAMES = {
    "markup-close": ("[/bold]", "[/bold]"),
    "markup-link": (
        "[link=https://evil.example/]Invoice[/link]",
        "[link=https://evil.example/]Invoice[/link]",
    ),
    "markup-style": ("[blink red on white]urgent[/]", "[blink red on white]urgent[/]"),
    "osc8-hyperlink": (
        f"{ESC}]8;;https://evil.example/{ESC}\\Invoice{ESC}]8;;{ESC}\\",
        "\\x1b]8;;https://evil.example/\\x1b\\Invoice\\x1b]8;;\\x1b\\",
    ),
    "clear-screen": (f"{ESC}[2J{ESC}[HAll good", "\\x1b[2J\\x1b[HAll good"),
    "window-title": (f"{ESC}]0;owned\x07", "\\x1b]0;owned\\x07"),
    "carriage-return": ("Harmless\rEvil", "Harmless\\x0dEvil"),
    "c1-csi": ("\x9b31mred", "\\x9b31mred"),
    "bidi-override": ("invoice\u202efdp.exe", "invoice\\u202efdp.exe"),
    "backspace": ("pay\x08\x08\x08refund", "pay\\x08\\x08\\x08refund"),
}


@pytest.fixture(scope="module")
def org_user(server: Server) -> User:
    return server.create_user(profile="System Administrator")


@pytest.fixture
def cli(tmp_path: Path, server: Server, org_user: User) -> Cli:
    """A client logged in to the test server (client credentials) as a System Administrator."""
    client = Cli(tmp_path / "client-home")
    app, secret = server.create_app(
        client_credentials_enabled=True, client_credentials_user=org_user.username
    )
    result = client(
        "login", "client-credentials", "--login-url", server.url, "--client-id", app.consumer_key,
        "--client-secret", secret, "--alias", "t",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return client


@pytest.fixture(scope="module")
def tag(server: Server, org_user: User) -> str:
    """Accounts named by every hostile value, created through the data API; returns their tag."""
    tag = f"tt{secrets.token_hex(4)}"
    with httpx.Client(base_url=server.url, headers=bearer(token_for(server, org_user))) as api:
        for name, _shown in HOSTILE_NAMES.values():
            created = api.post(f"{DATA}/sobjects/Account", json={"Name": name, "AccountNumber": tag})
            assert created.status_code == 201, created.text
    return tag


def _assert_inert(output: str) -> None:
    for unsafe in (ESC, "\x9b", "\x07", "\x08", "\r", "\u202e"):
        assert unsafe not in output, repr(output)


@pytest.mark.attack(CWE_116 + "; issue 10 M6: `forcegate query` table")
@pytest.mark.parametrize("case", sorted(HOSTILE_NAMES))
def test_when_record_value_is_markup_or_escapes_then_query_table_prints_it_inert(
    server: Server, cli: Cli, tag: str, case: str
) -> None:
    name, shown = HOSTILE_NAMES[case]
    soql = f"SELECT Name FROM Account WHERE AccountNumber = '{tag}' AND Name = '{_quoted(name)}'"
    with nothing_issued(server):
        result = cli("query", soql)
    assert result.exit_code == 0, result.output
    _assert_inert(result.output)
    assert shown in result.stdout and "1 record" in result.stdout


def _quoted(value: str) -> str:
    """A SOQL string literal's body for the value (backslash and quote escaped)."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


@pytest.mark.attack(CWE_150 + "; issue 10 M6: `forcegate query --csv`")
def test_when_record_value_holds_escapes_then_csv_prints_them_inert(cli: Cli, tag: str) -> None:
    soql = f"SELECT Name FROM Account WHERE AccountNumber = '{tag}'"
    result = cli("query", soql, "--csv")
    assert result.exit_code == 0, result.output
    _assert_inert(result.stdout)
    names = {row[0] for row in list(csv.reader(io.StringIO(result.stdout)))[1:]}
    assert names == {shown for _name, shown in HOSTILE_NAMES.values()}
    exact = json.loads(cli("query", soql, "--json").stdout)  # --json keeps the exact values, escaped
    assert {r["Name"] for r in exact} == {name for name, _shown in HOSTILE_NAMES.values()}


@pytest.mark.attack(CWE_150 + "; issue 10 M6: `forcegate describe` prints labels an admin chose")
def test_when_field_label_holds_markup_and_escapes_then_describe_prints_it_inert(
    server: Server, cli: Cli
) -> None:
    name = f"Note{secrets.token_hex(3)}__c"
    label = f"[/bold]{ESC}]0;owned\x07[link=https://evil.example/]x[/link]"
    with server.ctx.db.write() as conn:
        metadata.create_custom_field(conn, server.org_id, "Account", name, "string", label=label)
    result = cli("describe", "Account")
    assert result.exit_code == 0, result.output
    _assert_inert(result.output)
    assert "[/bold]\\x1b]0;owned\\x07[link=https://evil.example/]x[/link]" in result.stdout


@pytest.mark.attack(CWE_150 + "; issue 10 M6: an error message quoting the query")
def test_when_server_error_quotes_escapes_then_the_failure_line_is_inert(cli: Cli) -> None:
    result = cli("query", f"SELECT Id FRM Account {ESC}]0;owned\x07{ESC}[2J")
    assert result.exit_code == 6 and "MALFORMED_QUERY" in result.output
    _assert_inert(result.output)

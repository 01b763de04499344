"""The client commands of ``forcegate`` against a running forcegate over real HTTP: every login flow,
connections, token show/refresh/revoke, query/describe/limits, exit codes, --help everywhere, and
no token printed unless asked for.

Web and device logins run the real console script in a subprocess (the test plays the user while
the command waits); the other commands run in-process through Click's runner."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import Result

from forcegate.cli import main
from forcegate.client import Connection, EncryptedFileStore
from forcegate.client.cli import EXIT_CODES
from forcegate.flows import device as device_flow
from forcegate.storage import rate_limits
from tests.support.actors import FIXTURE
from tests.support.client_cli import Cli
from tests.support.client_helpers import (
    approve_device,
    browser,
    free_port,
    jwt_setup,
    userinfo_status,
    web_app,
)
from tests.support.server import Server

CLIENT_COMMANDS = ("login", "connections", "token", "query", "describe", "limits")


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "client-home")


def _wait_for_line(process: subprocess.Popen[str], marker: str) -> str:
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if marker in line:
            return line.strip()
    raise AssertionError(f"{marker!r} never printed: {''.join(seen)}")


def _finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        out, rest = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, rest
    return out, rest


# --- help and exit codes --------------------------------------------------------------------------


def test_every_client_command_has_help_with_the_exit_codes(cli: Cli) -> None:
    def walk(command: click.Command, path: list[str]) -> Iterator[list[str]]:
        yield path
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])

    paths = [p for name in CLIENT_COMMANDS for p in walk(main.commands[name], [name])]
    assert len(paths) >= 17
    for path in paths:
        result = cli(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        assert "Exit codes:" in result.stdout and "4  the session cannot be renewed" in result.stdout
    assert set(EXIT_CODES) == set(range(9))


def test_when_store_passphrase_wrong_then_exit_8(cli: Cli, server: Server, tmp_path: Path) -> None:
    setup = jwt_setup(server, tmp_path)
    cli.ok(
        "login",
        "jwt",
        "--login-url",
        server.url,
        "--client-id",
        setup.app.consumer_key,
        "--username",
        setup.user.username,
        "--jwt-key-file",
        str(setup.key_file),
        "--alias",
        "x",
    )
    result = cli("connections", "list", FORCEGATE_PASSPHRASE="wrong")
    assert result.exit_code == 8 and "wrong passphrase" in result.output
    result = cli("connections", "list", FORCEGATE_PASSPHRASE="", FORCEGATE_STORE="keyring")
    assert result.exit_code == 8 and "no OS keyring" in result.output


def test_when_alias_unknown_then_exit_5(cli: Cli) -> None:
    result = cli("connections", "show", "nobody")
    assert result.exit_code == 5 and "no connection named 'nobody'" in result.output
    assert cli("query", "SELECT Id FROM Account").exit_code == 5  # no default either


def test_when_server_unreachable_then_exit_7(cli: Cli) -> None:
    result = cli(
        "login",
        "client-credentials",
        "--login-url",
        f"http://127.0.0.1:{free_port()}",
        "--client-id",
        "k",
        "--client-secret",
        "s",
    )
    assert result.exit_code == 7 and "cannot reach" in result.output


def test_when_login_refused_then_exit_3_with_the_server_description(
    cli: Cli, server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path)
    result = cli(
        "login",
        "jwt",
        "--login-url",
        server.url,
        "--client-id",
        "3MVG9unknown",
        "--username",
        setup.user.username,
        "--jwt-key-file",
        str(setup.key_file),
    )
    assert result.exit_code == 3
    assert "invalid_client_id: client identifier invalid" in result.output
    assert "check --client-id" in result.output  # and what to do about it
    assert "Traceback" not in result.output


def test_when_sandbox_and_login_url_both_given_then_usage_error(cli: Cli) -> None:
    result = cli("login", "device", "--sandbox", "--login-url", "https://acme.my.salesforce.com")
    assert result.exit_code == 2 and "mutually exclusive" in result.output


# --- JWT login, then connections, tokens and data ------------------------------------------------


def test_jwt_login_then_connections_token_query_describe_limits(
    cli: Cli, server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path, profile="System Administrator")
    login = cli.json(
        "login",
        "jwt",
        "--login-url",
        server.url,
        "--client-id",
        setup.app.consumer_key,
        "--username",
        setup.user.username,
        "--jwt-key-file",
        str(setup.key_file),
        "--alias",
        "ci",
    )
    assert login["alias"] == "ci" and login["default"] is True and login["flow"] == "jwt"
    assert login["username"] == setup.user.username and login["instance_url"] == server.url
    assert login["user_id"] == setup.user.id and login["refresh_token"] is False

    assert [c["alias"] for c in cli.json("connections", "list")] == ["ci"]
    assert cli.json("connections", "show", "ci")["org_id"] == server.org_id
    table = cli.ok("connections", "list").stdout
    assert "ci" in table and setup.user.username in table

    token = cli.ok("token", "show", "--reveal").stdout.strip()
    assert userinfo_status(server, token) == 200
    shown = cli.json("token", "show")
    assert shown["access_token"] == token.split("!")[0] + "!****"

    refreshed = cli.json("token", "refresh", "--alias", "ci")  # JWT: the flow runs again
    new_token = cli.ok("token", "show", "-a", "ci", "--reveal").stdout.strip()
    assert new_token != token and refreshed["logged_in"]

    query = f"SELECT Id, Username FROM User WHERE Username = '{setup.user.username}'"
    rows = cli.json("query", query)
    assert [(r["Id"], r["Username"]) for r in rows] == [(setup.user.id, setup.user.username)]
    as_csv = list(csv.reader(io.StringIO(cli.ok("query", query, "--csv").stdout)))
    assert as_csv == [["Id", "Username"], [setup.user.id, setup.user.username]]
    as_table = cli.ok("query", query).stdout
    assert setup.user.username in as_table and "1 record" in as_table
    assert cli("query", query, "--json", "--csv").exit_code == 2

    assert "Name" in {f["name"] for f in cli.json("describe", "Account")["fields"]}
    assert "Name" in cli.ok("describe", "Account").stdout
    assert "DailyApiRequests" in cli.json("limits")
    assert "DailyApiRequests" in cli.ok("limits").stdout

    bad = cli("query", "SELECT Id FRM Account")
    assert bad.exit_code == 6 and "MALFORMED_QUERY" in bad.output

    everything = "".join(
        cli(*args).output
        for args in (("connections", "list"), ("connections", "show", "ci"), ("token", "show"), ("limits",))
    )
    assert token not in everything and new_token not in everything

    removed = cli("connections", "remove", "ci", "--revoke")
    assert removed.exit_code == 0 and "Removed ci" in removed.output
    assert userinfo_status(server, new_token) == 401
    assert cli.json("connections", "list") == []


# --- web login: the real console script, the test as the browser ---------------------------------


def test_web_login_then_refresh_revoke_and_remove(cli: Cli, server: Server) -> None:
    port = free_port()
    app, secret = web_app(server, port)
    user = server.create_user()
    process = cli.spawn(
        "login",
        "web",
        "--login-url",
        server.url,
        "--client-id",
        app.consumer_key,
        "--client-secret",
        secret,
        "--port",
        str(port),
        "--no-browser",
        "--alias",
        "web",
    )
    url = _wait_for_line(process, "/services/oauth2/authorize?")
    browser(server, user)(url)
    _, stderr = _finish(process)
    assert "saved as web" in stderr and "encrypted file" in stderr

    stored = cli.store().get("web")
    assert stored is not None and stored.session is not None and stored.session.refresh_token
    assert stored.session.signature_verified and stored.consumer_secret == secret
    first_token = stored.session.access_token

    cli.ok("token", "refresh", "-a", "web")
    refreshed = cli.store().get("web")
    assert refreshed is not None and refreshed.session is not None
    assert refreshed.session.access_token != first_token
    assert refreshed.session.refresh_token == stored.session.refresh_token

    result = cli.ok("token", "revoke", "-a", "web")
    assert "Revoked" in result.output
    assert userinfo_status(server, refreshed.session.access_token) == 401
    gone = cli("token", "show", "-a", "web")
    assert gone.exit_code == 4 and "logged out" in gone.output

    cli.ok("connections", "remove", "web")
    assert cli("connections", "show", "web").exit_code == 5


def test_when_stored_refresh_token_was_revoked_elsewhere_then_exit_4_saying_log_in_again(
    cli: Cli, server: Server
) -> None:
    port = free_port()
    app, secret = web_app(server, port)
    user = server.create_user()
    process = cli.spawn(
        "login",
        "web",
        "--login-url",
        server.url,
        "--client-id",
        app.consumer_key,
        "--client-secret",
        secret,
        "--port",
        str(port),
        "--no-browser",
        "--alias",
        "w2",
    )
    browser(server, user)(_wait_for_line(process, "/services/oauth2/authorize?"))
    _finish(process)
    stored = cli.store().get("w2")
    assert stored is not None and stored.session is not None and stored.session.refresh_token
    Connection(server.url, app.consumer_key).revoke(stored.session.refresh_token)

    result = cli("token", "refresh", "-a", "w2")
    assert result.exit_code == 4
    assert "expired access/refresh token" in result.output and "Log in again" in result.output
    query = cli("query", "SELECT Id FROM Account", "-a", "w2")
    assert query.exit_code == 4


def test_when_commands_refresh_a_rotating_connection_at_once_then_they_take_turns(
    cli: Cli, server: Server
) -> None:
    port = free_port()
    app, secret = web_app(server, port, refresh_token_rotation=True)
    process = cli.spawn(
        "login",
        "web",
        "--login-url",
        server.url,
        "--client-id",
        app.consumer_key,
        "--client-secret",
        secret,
        "--port",
        str(port),
        "--no-browser",
        "--alias",
        "rot",
    )
    browser(server, server.create_user())(_wait_for_line(process, "/services/oauth2/authorize?"))
    _finish(process)

    # Were two of them to present the same refresh token, the server would revoke the family.
    refreshes = [cli.spawn("token", "refresh", "-a", "rot") for _ in range(4)]
    for refresh in refreshes:
        _finish(refresh)

    stored = cli.store().get("rot")
    assert stored is not None and stored.session is not None
    assert userinfo_status(server, stored.session.access_token) == 200
    rows = server.login_history_of(app_id=app.id, flow="refresh_token")
    assert [r["status"] for r in rows] == ["Success"] * 4


# --- device login: the real console script, the test as the user ---------------------------------


@pytest.fixture
def _forget_device_rate_limits(server: Server) -> Iterator[None]:
    yield
    with server.ctx.db.write() as conn:
        rate_limits.reset(conn, f"{device_flow.RATE_LIMIT_PREFIX}ip:127.0.0.1")


@pytest.mark.usefixtures("_forget_device_rate_limits")
def test_device_login_shows_the_code_and_polls_until_approved(cli: Cli, server: Server) -> None:
    app, secret = server.create_app(device_flow_enabled=True)
    user = server.create_user()
    process = cli.spawn(
        "login",
        "device",
        "--login-url",
        server.url,
        "--client-id",
        app.consumer_key,
        "--client-secret",
        secret,
        "--alias",
        "tv",
        "--json",
    )
    line = _wait_for_line(process, "enter the code")
    assert f"{server.url}/setup/connect" in line
    approve_device(server, user, line.rsplit(" ", 1)[-1])
    stdout, _ = _finish(process)  # after the next poll, at the server's 5 s interval
    view = json.loads(stdout)
    assert view["alias"] == "tv" and view["flow"] == "device" and view["refresh_token"] is True
    assert view["username"] == user.username


# --- username-password and client credentials ----------------------------------------------------


def test_client_credentials_login(cli: Cli, server: Server) -> None:
    user = server.create_user()
    app, secret = server.create_app(client_credentials_enabled=True, client_credentials_user=user.username)
    view = cli.json(
        "login",
        "client-credentials",
        "--login-url",
        server.url,
        "--client-id",
        app.consumer_key,
        "--client-secret",
        secret,
        "--alias",
        "svc",
        "--set-default",
    )
    assert view["user_id"] == user.id and view["default"] is True and view["signature_verified"]
    missing = cli("login", "client-credentials", "--login-url", server.url, "--client-id", app.consumer_key)
    assert missing.exit_code == 2


def test_password_login_warns_that_the_flow_is_deprecated(
    cli: Cli, server: Server, password_flow_allowed: None
) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    result = cli(
        "login",
        "password",
        "--login-url",
        server.url,
        "--client-id",
        app.consumer_key,
        "--client-secret",
        secret,
        "--username",
        user.username,
        "--alias",
        "pw",
        "--json",
        FORCEGATE_PASSWORD="Passw0rd-for-tests",
    )
    assert result.exit_code == 0, result.output
    assert "deprecated" in result.stderr
    assert json.loads(result.stdout)["username"] == user.username
    refused = cli(
        "login",
        "password",
        "--login-url",
        server.url,
        "--client-id",
        app.consumer_key,
        "--client-secret",
        secret,
        "--username",
        user.username,
        FORCEGATE_PASSWORD="wrong",
    )
    assert refused.exit_code == 3 and "invalid_grant: authentication failure" in refused.output


@pytest.fixture
def password_flow_allowed(server: Server) -> Iterator[None]:
    from forcegate.org.access import org_view, update_org
    from forcegate.storage import repositories as repo

    with server.ctx.db.read() as conn:
        original = repo.org_by_id(conn, server.org_id)
    assert original is not None
    saved = org_view(original)

    def change(**settings: Any) -> None:
        with server.ctx.db.write() as conn:
            org = repo.org_by_id(conn, server.org_id)
            assert org is not None
            update_org(server.ctx, conn, org, settings, actor=FIXTURE)

    change(allow_username_password_flows=True, trusted_ip_ranges=["127.0.0.1/32", "::1/128"])
    yield
    change(**{k: saved[k] for k in ("allow_username_password_flows", "trusted_ip_ranges")})


def _in_terminal(cli: Cli, args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run the console script on a pseudo-terminal (stdin is a TTY), answer each prompt (a line
    ending in ": ") with the next of ``answers``, return its exit status and everything it printed."""
    import pty
    import select

    controller, terminal = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
    environment.update(cli.env(FORCEGATE_PASSPHRASE=""))
    process = subprocess.Popen(
        [sys.executable, "-m", "forcegate.cli", *args],
        env=environment,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    output, pending = b"", list(answers)
    while True:
        ready, _, _ = select.select([controller], [], [], 30)
        if not ready:
            process.kill()
            raise AssertionError(f"no output: {output!r}")
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process is gone
            break
        if not chunk:
            break
        output += chunk
        if pending and output.rstrip(b" ").endswith(b":"):
            os.write(controller, pending.pop(0).encode() + b"\n")
    os.close(controller)
    return process.wait(timeout=30), output.decode(errors="replace")


def test_when_no_keyring_and_no_passphrase_in_a_terminal_then_it_is_asked_for(cli: Cli) -> None:
    status, output = _in_terminal(cli, ["connections", "list", "--json"], ["first secret"] * 2)
    assert status == 0, output
    assert "New passphrase for the token store" in output and "Repeat for confirmation" in output
    assert "first secret" not in output  # not echoed
    cli.store().path.parent.mkdir(parents=True, exist_ok=True)
    EncryptedFileStore(cli.home / "connections.vault", passphrase="first secret").set_default(None)

    status, output = _in_terminal(cli, ["connections", "list"], ["wrong secret"])
    assert status == 8 and "Passphrase of the token store" in output and "wrong passphrase" in output


# --- hints that point the right way (issue 17) -----------------------------------------------------


def _jwt_login(cli: Cli, server: Server, setup: Any, *extra: str) -> Result:
    return cli(
        "login",
        "jwt",
        "--login-url",
        server.url,
        "--client-id",
        setup.app.consumer_key,
        "--username",
        setup.user.username,
        "--jwt-key-file",
        str(setup.key_file),
        *extra,
    )


def test_when_token_lacks_the_api_scope_then_exit_6_saying_how_to_get_it(
    cli: Cli, server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path, scopes="id openid")
    assert _jwt_login(cli, server, setup, "--alias", "noapi").exit_code == 0
    result = cli("query", "SELECT Id FROM Account", "--api-version", "66.0")
    assert result.exit_code == 6, result.output
    assert result.output == (
        "Error: 401 INVALID_SESSION_ID: This session is not valid for use with the REST API "
        "(GET /services/data/v66.0/query/)\n"
        "the connection's token lacks the `api` scope, which the REST API requires. Log in again asking "
        'for it (`forcegate login web --scope "api refresh_token"`, or device); jwt, password and '
        "client-credentials logins get the app's scopes, so there ask the app's admin to add `api` to them\n"
    )


def test_when_the_org_blocks_the_password_flow_then_the_cli_says_so_not_check_the_password(
    cli: Cli, server: Server
) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    result = cli(
        "login",
        "password",
        "--login-url",
        server.url,
        "--client-id",
        app.consumer_key,
        "--client-secret",
        secret,
        "--username",
        user.username,
        FORCEGATE_PASSWORD="Passw0rd-for-tests",
    )
    assert result.exit_code == 3
    assert result.stderr.endswith(
        "Error: the server refused: invalid_grant: authentication failure\n"
        "the org does not allow the username-password flow: an admin can allow it with `forcegate org "
        "update --allow-username-password-flows` (on Salesforce: Setup > OAuth and OpenID Connect Settings "
        "> Allow OAuth Username-Password Flows)\n"
    )


def test_when_password_refused_where_the_flow_is_allowed_then_check_the_password_or_the_org(
    cli: Cli, server: Server, password_flow_allowed: None
) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    result = cli(
        "login",
        "password",
        "--login-url",
        server.url,
        "--client-id",
        app.consumer_key,
        "--client-secret",
        secret,
        "--username",
        user.username,
        FORCEGATE_PASSWORD="wrong",
    )
    assert result.exit_code == 3
    assert result.stderr.endswith(
        "Error: the server refused: invalid_grant: authentication failure\n"
        "check the password; from an untrusted IP append the security token. If both are right, the org "
        "may block the username-password flow (Salesforce does by default in orgs created since Summer "
        "'23): its login history says which\n"
    )


def test_when_a_scope_is_not_allowed_then_the_hint_names_the_scopes_and_the_page_the_error(
    cli: Cli, server: Server
) -> None:
    port = free_port()
    app, _ = web_app(server, port, scopes="api refresh_token")
    process = cli.spawn(
        "login",
        "web",
        "--login-url",
        server.url,
        "--client-id",
        app.consumer_key,
        "--port",
        str(port),
        "--no-browser",
        "--scope",
        "api refresh_token chatter_api",
    )
    url = _wait_for_line(process, "/services/oauth2/authorize?")
    with server.client() as client:
        redirect = client.get(url)
    assert redirect.status_code == 302
    page = httpx.get(redirect.headers["location"], timeout=10).text
    assert (
        '<h1>Login failed</h1>\n<p class="error" role="alert"><strong>error=invalid_scope</strong><br>'
        "the requested scope is not allowed</p>"
    ) in page
    _, rest = process.communicate(timeout=60)
    assert process.returncode == 3
    assert rest.endswith(
        "Error: the server refused: invalid_scope: the requested scope is not allowed\n"
        "the app does not allow every scope asked for (api refresh_token chatter_api): ask only for scopes "
        "it has with --scope, or have an admin add the others to it (on forcegate: `forcegate apps show "
        f'{app.consumer_key}` lists its scopes, `forcegate apps update {app.consumer_key} --scopes "..."` '
        "sets them)\n"
    )


def test_when_the_jwt_audience_is_wrong_then_the_hint_names_it_and_forcegate_login_urls(
    cli: Cli, server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path)
    result = _jwt_login(cli, server, setup, "--audience", "https://acme.my.salesforce.com")
    assert result.exit_code == 3
    assert result.output == (
        "Error: the server refused: invalid_grant: Audience validation failed\n"
        "the assertion's audience was https://acme.my.salesforce.com. forcegate accepts its own URL "
        f"({server.url}) and each URL in its FORCEGATE_LOGIN_URLS setting; Salesforce accepts "
        "https://login.salesforce.com, https://test.salesforce.com or the site's URL. Pass --audience "
        f"{server.url}, or add https://acme.my.salesforce.com to FORCEGATE_LOGIN_URLS on the server\n"
    )


def test_when_the_jwt_key_file_is_a_certificate_then_exit_2_before_any_request(
    cli: Cli, server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path)
    certificate = tmp_path / "server.crt"
    certificate.write_text(str(setup.app.certificate_pem))
    before = len(server.login_history_of(user_id=setup.user.id))
    result = cli(
        "login",
        "jwt",
        "--login-url",
        server.url,
        "--client-id",
        setup.app.consumer_key,
        "--username",
        setup.user.username,
        "--jwt-key-file",
        str(certificate),
    )
    assert result.exit_code == 2
    assert result.output == (
        f"Error: the JWT key {certificate} is a certificate, not a private key: pass the private key whose "
        "certificate the app holds\n"
    )
    assert len(server.login_history_of(user_id=setup.user.id)) == before  # nothing reached the server


def test_count_query_prints_the_count_as_table_csv_and_json(cli: Cli, server: Server, tmp_path: Path) -> None:
    setup = jwt_setup(server, tmp_path, profile="System Administrator")
    assert _jwt_login(cli, server, setup).exit_code == 0
    soql = f"SELECT COUNT() FROM User WHERE Username = '{setup.user.username}'"
    assert cli.json("query", soql) == {"totalSize": 1}
    assert cli.ok("query", soql, "--csv").stdout == "totalSize\n1\n"
    table = cli.ok("query", soql).stdout
    assert "totalSize" in table and "│ 1 " in table.replace("┃", "│")
    assert cli.json("query", "select  count ( )  from User where Username = 'nobody'") == {"totalSize": 0}


def test_token_show_and_connections_show_agree_on_the_default(
    cli: Cli, server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path)
    assert _jwt_login(cli, server, setup, "--alias", "first").exit_code == 0
    assert _jwt_login(cli, server, setup, "--alias", "second").exit_code == 0
    for alias, default in (("first", True), ("second", False)):
        assert cli.json("token", "show", "-a", alias)["default"] is default
        assert cli.json("connections", "show", alias)["default"] is default
    assert cli.json("token", "show")["default"] is True  # the default connection, when none is named


def test_expires_at_is_the_servers_when_it_says_and_an_estimate_otherwise(
    cli: Cli, server: Server, tmp_path: Path
) -> None:
    setup = jwt_setup(server, tmp_path, access_token_lifetime_seconds=60)
    # With the consumer secret the CLI can introspect its token: the server states the expiry.
    stated = cli.json(
        "login", "jwt", "--login-url", server.url, "--client-id", setup.app.consumer_key,
        "--client-secret", setup.secret, "--username", setup.user.username,
        "--jwt-key-file", str(setup.key_file), "--alias", "stated",
    )  # fmt: skip
    lifetime = _seconds_between(stated["issued_at"], stated["expires_at"])
    assert 58 <= lifetime <= 61 and stated["expires_at_estimated"] is False
    assert "(estimate)" not in cli.ok("connections", "show", "stated").stdout
    refreshed = cli.json("token", "refresh", "-a", "stated")
    assert refreshed["expires_at_estimated"] is False
    assert 58 <= _seconds_between(refreshed["issued_at"], refreshed["expires_at"]) <= 61

    # Without it nothing says: the usual two hours, labelled as a guess.
    guessed = cli.json(*_jwt_login_args(server, setup), "--alias", "guessed")
    assert _seconds_between(guessed["issued_at"], guessed["expires_at"]) == 7200
    assert guessed["expires_at_estimated"] is True
    assert f"{guessed['expires_at']} (estimate)" in cli.ok("token", "show", "-a", "guessed").stdout
    assert "(estimate)" in cli.ok("connections", "list").stdout


def _jwt_login_args(server: Server, setup: Any) -> list[str]:
    return [
        "login", "jwt", "--login-url", server.url, "--client-id", setup.app.consumer_key,
        "--username", setup.user.username, "--jwt-key-file", str(setup.key_file),
    ]  # fmt: skip


def _seconds_between(start: str, end: str) -> float:
    import datetime

    return (datetime.datetime.fromisoformat(end) - datetime.datetime.fromisoformat(start)).total_seconds()

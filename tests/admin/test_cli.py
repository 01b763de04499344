"""The ``forcegate`` console script, run as a real subprocess on a throw-away SQLite database."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from cryptography.fernet import Fernet

from forcegate.storage.migrate import has_schema
from tests.support.admin_cli import COMMAND_TIMEOUT, FORCEGATE, Cli
from tests.support.server import _postgres_database

REPOSITORY = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT = 30
LISTENING = re.compile(r"forcegate listening on (http://127\.0\.0\.1:\d+)")
DEMO_FIELDS = {
    "admin_username": re.compile(r"admin username:\s+(\S+)"),
    "admin_password": re.compile(r"admin password:\s+(\S+)"),
    "consumer_key": re.compile(r"consumer key:\s+(\S+)"),
    "consumer_secret": re.compile(r"consumer secret:\s+(\S+)"),
}
PLATFORM_CLI_CALLBACK = "http://localhost:1717/OauthRedirect"


# --- connected apps -------------------------------------------------------------------------


def test_when_app_created_then_json_has_a_salesforce_consumer_key_and_the_secret(cli: Cli) -> None:
    app = cli.create_app()

    assert app["name"] == "Acme"
    assert app["consumer_key"].startswith("3MVG9")
    assert len(app["consumer_key"]) >= 80
    assert re.fullmatch(r"[0-9A-F]{64}", app["consumer_secret"])
    assert app["callback_urls"] == [
        "https://acme.example.com/oauth/callback",
        "http://localhost:1717/OauthRedirect",
    ]
    assert app["scopes"] == "api refresh_token openid"
    assert app["is_enabled"] is True


def test_when_apps_listed_then_no_consumer_secret_is_shown(cli: Cli) -> None:
    secret = cli.create_app()["consumer_secret"]

    result = cli.run("apps", "list")

    assert result.returncode == 0, result.stderr
    assert "consumer_secret" not in result.stdout
    assert secret not in result.stdout
    assert {a["name"] for a in json.loads(result.stdout)} == {"Acme", "PlatformCLI"}


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param(lambda app: app["name"], id="name"),
        pytest.param(lambda app: app["consumer_key"], id="consumer-key"),
        pytest.param(lambda app: app["id"], id="id18"),
        pytest.param(lambda app: app["id"][:15], id="id15"),
        pytest.param(lambda app: app["id"].upper(), id="id18-upper-case"),
    ],
)
def test_when_app_shown_by_any_reference_then_it_is_found_without_its_secret(
    cli: Cli, reference: Any
) -> None:
    created = cli.create_app()

    shown = cli.json("apps", "show", reference(created))

    assert shown["id"] == created["id"]
    assert "consumer_secret" not in shown


def test_when_app_updated_then_show_reflects_the_changes(cli: Cli) -> None:
    created = cli.create_app()

    cli.json(
        "apps",
        "update",
        created["id"],
        "--disabled",
        "--require-pkce",
        "--callback-url",
        "https://new.example.com/cb",
        "--scopes",
        "api web",
    )

    shown = cli.json("apps", "show", "Acme")
    assert shown["is_enabled"] is False
    assert shown["require_pkce"] is True
    assert shown["callback_urls"] == ["https://new.example.com/cb"]
    assert shown["scopes"] == "api web"
    assert shown["consumer_key"] == created["consumer_key"]


def test_when_app_deleted_then_show_fails(cli: Cli) -> None:
    created = cli.create_app()

    deleted = cli.json("apps", "delete", created["consumer_key"])

    assert deleted == {"deleted": created["id"], "name": "Acme"}
    assert "no connected app" in cli.refusal("apps", "show", created["id"])


@pytest.mark.parametrize(
    ("callback", "scopes", "message"),
    [
        ("http://example.com/cb", "api", "loopback"),
        ("https://acme.example.com/cb", "api bogus", "unknown scope(s): bogus"),
    ],
    ids=["non-loopback-http-callback", "unknown-scope"],
)
def test_when_app_settings_invalid_then_creation_refused(
    cli: Cli, callback: str, scopes: str, message: str
) -> None:
    error = cli.refusal("apps", "create", "--name", "Bad", "--callback-url", callback, "--scopes", scopes)

    assert message in error
    assert "Bad" not in cli.run("apps", "list").stdout


def test_when_app_name_taken_then_creation_refused(cli: Cli) -> None:
    cli.create_app("Acme")

    error = cli.refusal(
        "apps", "create", "--name", "Acme", "--callback-url", "https://x.example.com/cb", "--scopes", "api"
    )

    assert "a connected app named 'Acme' already exists" in error


def test_when_fresh_database_then_platform_cli_app_exists(cli: Cli) -> None:
    app = cli.json("apps", "show", "PlatformCLI")

    assert app["consumer_key"] == "PlatformCLI"
    assert app["require_pkce"] is True
    assert app["require_secret_for_web_server"] is False
    assert app["callback_urls"] == [PLATFORM_CLI_CALLBACK]
    assert app["scopes"] == "refresh_token api web"


def test_when_app_created_then_database_file_holds_no_clear_secret(cli: Cli) -> None:
    secret = cli.create_app()["consumer_secret"]

    stored = b"".join(p.read_bytes() for p in cli.home.glob("x.db*"))

    assert cli.database_path.stat().st_size > 0
    assert secret.encode() not in stored
    assert secret.lower().encode() not in stored


# --- users ----------------------------------------------------------------------------------


def _create_user(cli: Cli, username: str, *extra: str) -> dict[str, Any]:
    return cli.json("users", "create", "--username", username, "--password", "Passw0rd1", *extra)


def test_when_user_created_then_standard_user_with_a_security_token(cli: Cli) -> None:
    user = _create_user(cli, "u@example.com")

    assert user["username"] == "u@example.com"
    assert user["profile"] == "Standard User"
    assert user["is_active"] is True
    assert re.fullmatch(r"[A-Za-z0-9]{25}", user["security_token"])
    assert "security_token" not in cli.json("users", "show", "u@example.com")


def test_when_profile_given_then_user_has_it(cli: Cli) -> None:
    user = _create_user(cli, "admin@example.com", "--profile", "System Administrator")

    assert user["profile"] == "System Administrator"


def test_when_username_taken_then_creation_refused(cli: Cli) -> None:
    _create_user(cli, "u@example.com")

    assert "already taken" in cli.refusal(
        "users", "create", "--username", "U@example.com", "--password", "Passw0rd1"
    )


def test_when_username_not_an_email_then_creation_refused(cli: Cli) -> None:
    error = cli.refusal("users", "create", "--username", "not-an-email", "--password", "Passw0rd1")

    assert "email address" in error


def test_when_user_deactivated_then_show_says_inactive(cli: Cli) -> None:
    created = _create_user(cli, "u@example.com")

    updated = cli.json("users", "update", "u@example.com", "--inactive")

    assert updated["is_active"] is False
    assert cli.json("users", "show", created["id"])["is_active"] is False


def _lock(cli: Cli, user_id: str) -> None:
    """Lock a user out as failed logins do (one failure, max_attempts=1), in the CLI's database."""
    from forcegate.storage import lockout
    from forcegate.storage.db import Database

    database = Database(cli.database_url)
    try:
        with database.write() as conn:
            assert lockout.record_failure(conn, user_id, 0, max_attempts=1, locked_until_ms=2**62)
    finally:
        database.dispose()


@pytest.mark.parametrize("how", [("--unlock",), ("--password", "N3w-passw0rd")])
def test_when_locked_user_unlocked_or_given_a_new_password_then_lock_lifted(
    cli: Cli, how: tuple[str, ...]
) -> None:
    created = _create_user(cli, "u@example.com")
    _lock(cli, created["id"])
    assert cli.json("users", "show", "u@example.com")["locked_until_ms"] == 2**62

    updated = cli.json("users", "update", "u@example.com", *how)

    assert updated["locked_until_ms"] is None
    assert cli.json("users", "show", created["id"])["locked_until_ms"] is None
    # A new password comes with a new security token, printed once (an unlock keeps the old one).
    if "--password" in how:
        assert len(updated["security_token"]) == 25
        assert updated["security_token"] != created["security_token"]
    else:
        assert "security_token" not in updated


# --- database -------------------------------------------------------------------------------


def test_when_db_upgrade_repeated_then_nothing_changes(cli: Cli) -> None:
    first = cli.json("db", "upgrade")
    second = cli.json("db", "upgrade")

    assert first == second
    assert first["status"] == "up to date"
    assert first["org_id"].startswith("00D")
    assert [a["name"] for a in cli.json("apps", "list")] == ["PlatformCLI"]


def test_when_no_database_flag_then_forcegate_database_url_is_used(cli: Cli) -> None:
    other = cli.home / "from-env.db"
    env = {"FORCEGATE_DATABASE_URL": f"sqlite:///{other}"}
    cli.json("db", "upgrade", database=False, **env)

    create = ("apps", "create", "--name", "FromEnv", "--callback-url", "https://e.example.com/cb")
    cli.json(*create, "--scopes", "api", database=False, **env)

    assert cli.json("apps", "show", "FromEnv", database=False, **env)["name"] == "FromEnv"
    assert "FromEnv" not in {a["name"] for a in cli.json("apps", "list")}
    assert not (cli.home / "forcegate.db").exists()


def _in_folder(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``forcegate ARGS`` run from FOLDER with no FORCEGATE_* setting but ENV."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
    return subprocess.run(
        [str(FORCEGATE), *args],
        cwd=folder,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


POINT_AT_IT = (
    "Point the command at your org's database with --database URL, FORCEGATE_DATABASE_URL or "
    "FORCEGATE_HOME (the folder holding forcegate.db and server.key"
)


@pytest.mark.parametrize(
    "command",
    [("users", "list"), ("apps", "create", "--name", "X", "--callback-url", "https://x.example/cb",
                         "--scopes", "api"), ("housekeeping", "status"), ("demo", "show")],
    ids=["users-list", "apps-create", "housekeeping-status", "demo-show"],
)  # fmt: skip
def test_when_admin_command_run_from_a_folder_without_database_then_it_says_where_it_looked(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = _in_folder(tmp_path, *command)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: no forcegate database at {tmp_path / 'var' / 'forcegate.db'} (the default, var/ in the "
        f"current folder). {POINT_AT_IT}, e.g. the var/ of the folder where `make serve` runs), or create "
        "a new one with `forcegate db upgrade`.\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_when_forcegate_home_names_an_empty_folder_then_nothing_is_created_there(tmp_path: Path) -> None:
    home = tmp_path / "home"

    result = _in_folder(tmp_path, "users", "list", FORCEGATE_HOME=str(home))

    assert result.returncode == 1
    assert f"no forcegate database at {home / 'forcegate.db'} (from FORCEGATE_HOME={home})" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_when_server_key_missing_then_admin_command_refused_and_no_new_key_made(cli: Cli) -> None:
    elsewhere = cli.home / "elsewhere"

    result = cli.run("users", "list", FORCEGATE_HOME=str(elsewhere))

    assert result.returncode == 1
    assert result.stderr == (
        f"Error: no server key at {elsewhere / 'server.key'}, the key that encrypts this database's "
        "secrets. Set FORCEGATE_SERVER_KEYS, FORCEGATE_SERVER_KEY_FILE or FORCEGATE_HOME as the server "
        "has them.\n"
    )
    assert not elsewhere.exists()


@pytest.fixture
def empty_postgres_database() -> Iterator[str]:
    yield from _postgres_database()


def test_when_postgresql_database_never_migrated_then_refused_and_left_empty(
    tmp_path: Path, empty_postgres_database: str
) -> None:
    result = _in_folder(tmp_path, "users", "list", "--database", empty_postgres_database)

    assert result.returncode == 1
    assert result.stderr.startswith(
        f"Error: the database {empty_postgres_database} has no forcegate schema (it was never migrated) "
        f"(given by --database). {POINT_AT_IT}"
    )
    assert not has_schema(empty_postgres_database)
    assert list(tmp_path.iterdir()) == []
    upgraded = _in_folder(tmp_path, "db", "upgrade", "--database", empty_postgres_database)
    assert upgraded.returncode == 0, upgraded.stderr
    assert has_schema(empty_postgres_database)


# --- serve ----------------------------------------------------------------------------------


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def _read_until_listening(lines: queue.Queue[str]) -> tuple[str, str]:
    """(listen URL, everything printed up to and including the listening line)."""
    printed: list[str] = []
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        printed.append(line)
        found = LISTENING.search(line)
        if found:
            return found.group(1), "".join(printed)
    raise AssertionError("forcegate serve did not start:\n" + "".join(printed))


def _wait_until_accepting(url: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        try:
            httpx.get(url + "/services/data/", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def _serving(cli: Cli) -> Iterator[tuple[str, str]]:
    """Run ``forcegate serve --demo`` on the CLI's database: (base URL, startup output)."""
    command = ["serve", "--port", "0", "--host", "127.0.0.1", "--database", cli.database_url, "--demo"]
    process = subprocess.Popen(
        [str(FORCEGATE), *command],
        env=cli.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_pump, args=(process.stderr, lines), daemon=True).start()
        url, printed = _read_until_listening(lines)
        _wait_until_accepting(url)
        yield url, printed
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _demo_block(printed: str) -> dict[str, str]:
    return {name: m.group(1) for name, pattern in DEMO_FIELDS.items() if (m := pattern.search(printed))}


def test_when_served_twice_with_demo_then_demo_printed_once_and_state_survives(cli: Cli) -> None:
    with _serving(cli) as (url, printed):
        demo = _demo_block(printed)
        response = httpx.get(url + "/services/data/", timeout=10)

    assert set(demo) == set(DEMO_FIELDS), printed
    assert demo["admin_username"] == "admin@forcegate.demo"
    assert len(demo["admin_password"]) >= 8
    assert demo["consumer_key"].startswith("3MVG9")
    assert re.fullmatch(r"[0-9A-F]{64}", demo["consumer_secret"])
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]

    with _serving(cli) as (_url, printed_again):
        pass

    assert "Demo org created" not in printed_again
    assert demo["consumer_secret"] not in printed_again
    assert "Demo org: `forcegate demo show` prints its admin and app again." in printed_again
    listed = {a["name"]: a["consumer_key"] for a in cli.json("apps", "list")}
    assert listed["Demo App"] == demo["consumer_key"]


def test_when_served_with_demo_then_the_setup_url_is_printed_with_the_admin(cli: Cli) -> None:
    """Issue 12: the newcomer sees where to log in as the demo admin, the first time and after."""
    with _serving(cli) as (url, printed):
        setup = httpx.get(url + "/", timeout=10, follow_redirects=True)
    with _serving(cli) as (url_again, printed_again):
        pass

    lines = printed.splitlines()
    admin_line = next(i for i, line in enumerate(lines) if "admin password:" in line)
    assert lines[admin_line + 1].strip() == f"Setup (log in as the admin): {url}/setup"
    assert f"Setup: {url_again}/setup" in printed_again.splitlines()
    assert setup.status_code == 200 and str(setup.url) == url + "/setup/login"
    assert 'name="username"' in setup.text and 'name="password"' in setup.text


def test_when_demo_created_then_demo_show_prints_it_again_from_its_encrypted_copy(cli: Cli) -> None:
    with _serving(cli) as (_url, printed):
        demo = _demo_block(printed)

    shown = cli.json("demo", "show")

    assert shown == {
        **demo,
        "admin_password_changed": False,
        "callback_url": "http://localhost:1717/OauthRedirect",
        "scopes": "api refresh_token openid",
    }
    stored = b"".join(p.read_bytes() for p in cli.home.glob("x.db*"))
    assert demo["admin_password"].encode() not in stored
    assert demo["consumer_secret"].encode() not in stored


def test_when_server_key_rotated_then_demo_show_still_reads_the_demo(cli: Cli) -> None:
    with _serving(cli) as (_url, printed):
        demo = _demo_block(printed)
    key_file = cli.home / "server.key"
    old = key_file.read_text().strip()
    new = Fernet.generate_key().decode()
    key_file.write_text(f"{new}\n{old}\n")
    assert cli.json("server-key", "reencrypt")["reencrypted_demo_passwords"] == 1
    key_file.write_text(f"{new}\n")

    shown = cli.json("demo", "show")

    assert shown["admin_password"] == demo["admin_password"]
    assert shown["consumer_secret"] == demo["consumer_secret"]


def test_when_demo_admin_changed_the_password_then_demo_show_says_so(cli: Cli) -> None:
    with _serving(cli) as (_url, printed):
        demo = _demo_block(printed)
    cli.json("users", "update", demo["admin_username"], "--password", "Another-Passw0rd")

    shown = cli.json("demo", "show")

    assert shown["admin_password_changed"] is True
    assert shown["admin_password"] == demo["admin_password"]


def test_when_org_has_no_demo_then_demo_show_says_how_one_is_made(cli: Cli) -> None:
    error = cli.refusal("demo", "show")

    assert error == (
        "Error: this org has no demo: `forcegate serve --demo` creates one only on a database without users\n"
    )


def test_when_port_taken_then_one_line_says_how_to_pick_another_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = _in_folder(tmp_path, "serve", "--demo", "--port", str(port))

    assert result.returncode == 1
    found = re.fullmatch(
        rf"Error: port {port} on 127\.0\.0\.1 is in use; run `make serve PORT=(\d+)` or "
        r"`forcegate serve --port (\d+)` \(or --port 0 for any free port\)\n",
        result.stderr,
    )
    assert found is not None, result.stderr
    assert found.group(1) == found.group(2)
    assert int(found.group(1)) > port
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_when_make_serve_given_a_port_then_it_serves_there(tmp_path: Path) -> None:
    """The Makefile's own target, run with this test's virtualenv (never rebuilding it)."""
    port = _free_port()
    venv = Path(sys.prefix)
    process = subprocess.Popen(
        [
            "make",
            "-C",
            str(REPOSITORY),
            "serve",
            f"PORT={port}",
            f"VENV={venv}",
            "-o",
            f"{venv}/.installed-stamp",
        ],
        env=Cli(tmp_path).env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # make does not pass SIGTERM on to forcegate; the group gets it
    )
    try:
        assert process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
        url, printed = _read_until_listening(lines)
        response = httpx.get(url + "/services/data/", timeout=10)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)

    assert url == f"http://127.0.0.1:{port}"
    assert response.status_code == 401
    assert set(_demo_block(printed)) == set(DEMO_FIELDS)
    assert (tmp_path / "forcegate.db").exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

"""forcegate installed from its wheel, as another project would install it, works: the wheel carries
every data file (SOQL grammar, templates, migrations), and a server started from it answers a SOQL
query, shows the login page and migrates a new database.

The wheel goes into a fresh virtualenv. Its dependencies come from this test's own environment through
a ``.pth`` line naming that environment's site-packages: a directory named in a ``.pth`` file joins
``sys.path`` without its own ``.pth`` files being run, so the editable install of the checkout
(``__editable__.forcegate-*.pth``) stays out, and nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
PACKAGE = REPOSITORY / "src" / "forcegate"
TIMEOUT = 300
LISTENING = re.compile(r"forcegate listening on (http://127\.0\.0\.1:\d+)")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout (so no build/ or egg-info lands in it)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copy2(REPOSITORY / "pyproject.toml", source)
    shutil.copy2(REPOSITORY / "README.md", source)
    shutil.copytree(
        REPOSITORY / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--quiet", "-w", str(dist)],
        check=True,
        timeout=TIMEOUT,
    )
    (built,) = dist.glob("forcegate-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtualenv with the wheel installed and this environment's packages visible."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=TIMEOUT)
    python = root / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=TIMEOUT,
    ).stdout.strip()
    shared = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib) / "shared-dependencies.pth").write_text("".join(f"{path}\n" for path in sorted(shared)))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
        check=True,
        timeout=TIMEOUT,
    )
    return root


def _env(home: Path) -> dict[str, str]:
    """No PYTHONPATH (it would put a checkout's src first) and no FORCEGATE_* but a private home."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_") and k != "PYTHONPATH"}
    return {
        **inherited,
        "FORCEGATE_HOME": str(home),
        "FORCEGATE_ARGON2_MEMORY_KIB": "1024",
        "FORCEGATE_ARGON2_TIME_COST": "1",
    }


def _forcegate(venv: Path, home: Path, *args: str) -> object:
    result = subprocess.run(
        [str(venv / "bin" / "forcegate"), *args],
        cwd=home,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@contextmanager
def _serve(venv: Path, home: Path) -> Iterator[str]:
    """``forcegate serve`` from the virtualenv on HOME's database: its base URL."""
    process = subprocess.Popen(
        [str(venv / "bin" / "forcegate"), "serve", "--port", "0"],
        cwd=home,
        env=_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                pytest.fail("forcegate serve exited before listening")
            if found := LISTENING.search(line):
                yield found.group(1)
                return
        pytest.fail("forcegate serve did not start")
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_when_wheel_built_then_it_carries_every_file_of_the_package(wheel: Path) -> None:
    """The data files too: grammar, templates, migrations, and whatever is added next."""
    expected = {
        "forcegate/" + path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    with zipfile.ZipFile(wheel) as archive:
        packaged = {name for name in archive.namelist() if name.startswith("forcegate/")}

    assert "forcegate/soql/grammar.lark" in packaged
    assert expected - packaged == set()


def test_when_installed_from_the_wheel_then_forcegate_is_imported_from_the_new_virtualenv(
    venv: Path, tmp_path: Path
) -> None:
    imported = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import forcegate; print(forcegate.__file__)"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
        timeout=TIMEOUT,
    ).stdout.strip()

    assert Path(imported).is_relative_to(venv)


def test_when_installed_from_the_wheel_then_it_migrates_serves_soql_and_the_login_page(
    venv: Path, tmp_path: Path
) -> None:
    upgraded = _forcegate(venv, tmp_path, "db", "upgrade")
    assert upgraded["status"] == "up to date"  # type: ignore[index]
    user = _forcegate(
        venv, tmp_path, "users", "create", "--username", "ada@example.com", "--password", "Passw0rd-1",
        "--profile", "System Administrator",
    )  # fmt: skip
    app = _forcegate(
        venv, tmp_path, "apps", "create", "--name", "Packaged", "--callback-url",
        "http://localhost:1717/OauthRedirect", "--scopes", "api", "--client-credentials", "--run-as",
        "ada@example.com",
    )  # fmt: skip
    assert isinstance(app, dict) and isinstance(user, dict)

    with _serve(venv, tmp_path) as url, httpx.Client(base_url=url, timeout=30) as client:
        token = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": app["consumer_key"],
                "client_secret": app["consumer_secret"],
            },
        )
        assert token.status_code == 200, token.text
        query = client.get(
            "/services/data/v66.0/query",
            params={"q": "SELECT Id, Username FROM User"},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        login = client.get(
            "/services/oauth2/authorize",
            params={
                "response_type": "code",
                "client_id": app["consumer_key"],
                "redirect_uri": "http://localhost:1717/OauthRedirect",
            },
            follow_redirects=True,
        )

    assert query.status_code == 200, query.text
    assert [(r["Id"], r["Username"]) for r in query.json()["records"]] == [(user["id"], "ada@example.com")]
    assert login.status_code == 200
    assert '<input type="password"' in login.text

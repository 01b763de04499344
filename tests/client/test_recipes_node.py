"""Every Node.js and Salesforce CLI recipe of docs/clients/, run exactly as printed against a running
forcegate over HTTPS.

Each recipe is a subprocess with only environment variables as input, as a reader would run it: a
JavaScript recipe is saved as an ES module in tests/node (so its node_modules, pinned by
tests/node/package-lock.json and installed by `make node-deps`, resolves), a shell recipe runs in bash
with tests/node/node_modules/.bin first on PATH (where `sf` is). Each must end its output with the
username it acted as. Where a recipe has the reader open a browser (`sf org login web` through
$BROWSER, or a URL it prints on stderr), tests/node/browser.py logs in and allows access. The org is
a server of this module's own, since the recipes need the username-password and SOAP logins on, which
the shared server keeps off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.data_api import start_tls_server
from tests.support.recipes import database_url, reader_environment, recipes
from tests.support.server import Server, make_settings, start_server

ROOT = Path(__file__).resolve().parents[2]
NODE_PROJECT = ROOT / "tests" / "node"
NODE_BIN = NODE_PROJECT / "node_modules" / ".bin"
RECIPE_TIMEOUT = 180  # seconds; the Salesforce CLI takes a few to start
# What a recipe says on stderr that proves the point it makes, beyond acting as the user.
SAYS = {"jsforce-web-server": "jsforce refreshed the access token"}
PAGES = ("jsforce.md", "openid-client.md", "salesforce-cli.md")
NODE_RECIPES = [
    (page, name, language) for page in PAGES for name, (language, _) in recipes(f"clients/{page}").items()
]


@dataclass(frozen=True)
class Reader:
    """What a reader of the pages has set up: the environment the recipes read, and who they act as."""

    env: dict[str, str]
    username: str


def _require_node() -> None:
    """Node.js and the pinned packages are prerequisites of `make test`, not optional extras."""
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: install Node.js 20 or later (Debian: apt-get install nodejs)")
    if not (NODE_BIN / "sf").exists():
        pytest.fail(f"{NODE_PROJECT}/node_modules is missing: run `make node-deps` (npm ci in tests/node)")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def reader(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    _require_node()
    directory = tmp_path_factory.mktemp("node-recipes")
    for url in database_url(request.param, directory):
        for server in start_server(make_settings(url, directory), request.param):
            for tls in start_tls_server(server, directory / "tls"):
                yield _set_up(server, tls.url, tls.ca_cert, directory)


def _set_up(server: Server, url: str, ca_cert: Path, directory: Path) -> Reader:
    variables, username = reader_environment(server, url, directory)
    home = directory / "home"  # the Salesforce CLI keeps its logins under $HOME/.sf and $HOME/.sfdx
    home.mkdir()
    env = {
        **os.environ,
        **variables,
        "HOME": str(home),
        "PATH": f"{NODE_BIN}{os.pathsep}{os.environ['PATH']}",
        "NODE_EXTRA_CA_CERTS": str(ca_cert),
        "SF_DISABLE_TELEMETRY": "true",
        "SF_AUTOUPDATE_DISABLE": "true",
        "SF_SKIP_NEW_VERSION_CHECK": "true",
        "BROWSER": str(_browser(directory)),
    }
    return Reader(env, username)


def _browser(directory: Path) -> Path:
    """An executable that opens a URL the way $BROWSER is run (by xdg-open, for `sf org login web`):
    it starts tests/node/browser.py on the URL and returns at once, as a browser window opening would."""
    program = directory / "browser"
    python_path = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    program.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH='{python_path}' '{sys.executable}' '{NODE_PROJECT / 'browser.py'}' \"$1\" "
        f">>'{directory / 'browser.log'}' 2>&1 &\n",
        encoding="utf-8",
    )
    program.chmod(0o755)
    return program


def _run(reader: Reader, language: str, code: str) -> tuple[int, str, str]:
    """Run a recipe as a reader would; when it asks the reader to open an authorization URL (on
    stderr), open it in the browser. Answers the exit code, stdout and stderr."""
    if language == "javascript":
        script = NODE_PROJECT / f"recipe-{os.getpid()}.mjs"
        script.write_text(code, encoding="utf-8")
        command, cwd = ["node", script.name], NODE_PROJECT
    else:
        assert language == "sh", language
        script = None
        command, cwd = ["bash", "-euo", "pipefail", "-c", code], Path(reader.env["HOME"])
    authorize = reader.env["FORCEGATE_URL"] + "/services/oauth2/authorize?"
    try:
        with subprocess.Popen(
            command,
            cwd=cwd,
            env=reader.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as process:
            assert process.stderr is not None and process.stdout is not None
            deadline = threading.Timer(RECIPE_TIMEOUT, process.kill)  # a recipe left waiting fails
            deadline.start()
            errors: list[str] = []
            for line in process.stderr:
                errors.append(line)
                if line.startswith(authorize):
                    subprocess.run([reader.env["BROWSER"], line.strip()], env=reader.env, check=True)
            output = process.stdout.read()
            deadline.cancel()
            return process.wait(), output, "".join(errors)
    finally:
        if script is not None:
            script.unlink()


@pytest.mark.parametrize(
    ("page", "name", "language"), NODE_RECIPES, ids=[name for _, name, _ in NODE_RECIPES]
)
def test_when_recipe_runs_as_printed_then_it_acts_as_the_user(
    reader: Reader, page: str, name: str, language: str
) -> None:
    _, code = recipes(f"clients/{page}")[name]
    status, output, errors = _run(reader, language, code)
    browser_log = Path(reader.env["BROWSER"]).with_name("browser.log")
    report = output + errors + (browser_log.read_text() if browser_log.exists() else "")
    assert status == 0, report
    assert output.splitlines()[-1:] == [reader.username], report
    assert SAYS.get(name, "") in errors


def test_every_node_client_page_has_its_recipes() -> None:
    assert {name: language for _, name, language in NODE_RECIPES} == {
        "jsforce-password": "javascript",
        "jsforce-soap": "javascript",
        "jsforce-jwt": "javascript",
        "jsforce-web-server": "javascript",
        "jsforce-session": "javascript",
        "openid-client-client-credentials": "javascript",
        "openid-client-code-pkce": "javascript",
        "sf-jwt": "sh",
        "sf-access-token": "sh",
        "sf-web": "sh",
    }

"""Every Python recipe of docs/clients/, run exactly as printed against a running forcegate over HTTPS.

Each recipe is a subprocess with only environment variables as input, as a reader would run it; it
must print the username it acted as. A recipe that asks its user to open a URL in a browser gets a
browser: the test logs in and allows access, and pastes the URL forcegate redirected to into its stdin.
The org is a server of this module's own, since the recipes need the username-password and SOAP logins
on, which the shared server keeps off.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.support.browser import authorize
from tests.support.data_api import start_tls_server
from tests.support.recipes import DOCS, database_url, reader_environment, recipes
from tests.support.server import Server, make_settings, start_server

# Every Python recipe of every page, so a new one cannot go untested.
PYTHON_RECIPES = [
    (str(page.relative_to(DOCS)), name)
    for page in sorted(DOCS.rglob("*.md"))
    for name, (language, _) in recipes(page).items()
    if language == "python"
]
# The recipes that print an authorization URL to stderr and read the callback URL from stdin.
BROWSER_RECIPES = {"requests-oauthlib-web-server"}


@dataclass(frozen=True)
class Reader:
    """What a reader of the pages has set up: the environment the recipes read, who they act as, and
    the CA a browser trusts forcegate's certificate by."""

    env: dict[str, str]
    username: str
    ca_cert: Path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def reader(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    directory = tmp_path_factory.mktemp("recipes")
    for url in database_url(request.param, directory):
        for server in start_server(make_settings(url, directory), request.param):
            for tls in start_tls_server(server, directory / "tls"):
                yield _set_up(server, tls.url, tls.ca_cert, directory)


def _set_up(server: Server, url: str, ca_cert: Path, directory: Path) -> Reader:
    variables, username = reader_environment(server, url, directory)
    env = {**os.environ, **variables, "REQUESTS_CA_BUNDLE": str(ca_cert), "SSL_CERT_FILE": str(ca_cert)}
    return Reader(env, username, ca_cert)


UNATTENDED_RECIPES = [(page, name) for page, name in PYTHON_RECIPES if name not in BROWSER_RECIPES]


@pytest.mark.parametrize(("page", "name"), UNATTENDED_RECIPES, ids=[name for _, name in UNATTENDED_RECIPES])
def test_when_recipe_runs_as_printed_then_it_acts_as_the_user(reader: Reader, page: str, name: str) -> None:
    _, code = recipes(page)[name]
    result = subprocess.run(
        [sys.executable, "-c", code], env=reader.env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [reader.username], result.stderr


ATTENDED_RECIPES = [(page, name) for page, name in PYTHON_RECIPES if name in BROWSER_RECIPES]


@pytest.mark.parametrize(("page", "name"), ATTENDED_RECIPES, ids=[name for _, name in ATTENDED_RECIPES])
def test_when_user_allows_the_recipes_authorization_url_then_it_acts_as_that_user(
    reader: Reader, page: str, name: str
) -> None:
    _, code = recipes(page)[name]
    with subprocess.Popen(
        [sys.executable, "-c", code],
        env=reader.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as recipe:
        # A recipe that waits on stdin without showing the URL would otherwise hang the test.
        watchdog = threading.Timer(120, recipe.kill)
        watchdog.start()
        try:
            assert recipe.stderr is not None
            told = ""
            for line in recipe.stderr:
                told += line
                if line.startswith(reader.env["FORCEGATE_URL"]):
                    break
            else:
                pytest.fail(f"the recipe showed no authorization URL:\n{told}")
            callback = _log_in_and_allow(reader, line.strip())
            stdout, stderr = recipe.communicate(callback + "\n")
        finally:
            watchdog.cancel()
    assert recipe.returncode == 0, told + stderr
    assert stdout.split() == [reader.username], told + stderr


def _log_in_and_allow(reader: Reader, authorization_url: str) -> str:
    """What the person at the browser does with the URL: log in, allow, and take the URL forcegate
    sends the browser to (the loopback callback, where nothing listens)."""
    parts = urlsplit(authorization_url)
    params = dict(parse_qsl(parts.query))
    assert params.get("code_challenge_method") == "S256", "the page promises PKCE"
    with httpx.Client(
        base_url=f"{parts.scheme}://{parts.netloc}", verify=ssl.create_default_context(cafile=reader.ca_cert)
    ) as browser:
        outcome = authorize(browser, params, reader.username, reader.env["FORCEGATE_PASSWORD"])
    assert outcome.response.status_code == 302, outcome.response.text
    assert outcome.location.startswith("http://localhost:1717/OauthRedirect?")
    return outcome.location


def test_every_python_client_page_has_its_recipes() -> None:
    assert {name for _, name in PYTHON_RECIPES} == {
        "simple-salesforce-jwt",
        "simple-salesforce-password",
        "simple-salesforce-soap",
        "simple-salesforce-session",
        "requests-oauthlib-client-credentials",
        "requests-oauthlib-web-server",
        "authlib-client-credentials",
        "authlib-jwt",
        "forcegate-sdk-jwt",
        "forcegate-sdk-client-credentials",
    }

"""Log injection: a value a caller sends (a SOAP namespace, a request path) carrying a line break or a
terminal escape must not start a log line of its own, nor reach the terminal. The log is read as
``forcegate serve`` writes it: through ``forcegate.logs.handler``'s formatter."""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import httpx
import pytest

from forcegate import logs
from forcegate.context import Context
from tests.attacks.unchanged import nothing_issued
from tests.support.server import Server, make_settings

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
FORCEGATE = Path(sys.executable).parent / "forcegate"
FORGED = (
    "2026-12-02 00:00:00,000 WARNING forcegate.admin user 005000000000001AAA granted System Administrator"
)


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What forcegate logs at INFO while the test runs, formatted as ``forcegate serve`` does."""
    output = io.StringIO()
    handler = logs.handler(output)
    logger = logging.getLogger("forcegate")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield output
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _soap_operation_in_namespace(client: httpx.Client, namespace: str) -> httpx.Response:
    # The namespace is an attribute: a literal newline would be normalised to a space by the XML
    # parser, a character reference is not.
    envelope = f'<se:Envelope xmlns:se="{ENV}"><se:Body><x:op xmlns:x="{namespace}"/></se:Body></se:Envelope>'
    return client.post("/services/Soap/u/59.0", content=envelope, headers={"Content-Type": "text/xml"})


def _path(server: Server, path: str) -> httpx.Response:
    with server.client() as client:
        return client.get(path)


def _logged(output: io.StringIO, marker: str) -> str:
    """The log so far, once a line with ``marker`` is in it (the access log is written just after
    the response is sent)."""
    deadline = time.monotonic() + 5
    while marker not in output.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    return output.getvalue()


def _assert_on_one_line(log: str, marker: str) -> None:
    lines = log.splitlines()
    assert not any(line.startswith(FORGED[:24]) for line in lines), log  # no forged line
    assert not any(separator in log for separator in ("\x1b", "\u2028", "\r")), log
    carrying = [line for line in lines if marker in line]
    assert len(carrying) == 1 and "granted System Administrator" in carrying[0], log


@pytest.mark.attack("OWASP ASVS 4.0.3 V7.3.1 (CWE-117): SOAP operation namespace")
def test_when_a_soap_namespace_carries_a_newline_then_it_forges_no_log_line(
    server: Server, log_output: io.StringIO
) -> None:
    with nothing_issued(server), server.client() as client:
        answer = _soap_operation_in_namespace(client, "urn:forged&#10;" + FORGED + "&#13;&#10;")

    assert answer.status_code == 500 and "No operation available for request" in answer.text
    log = _logged(log_output, "soap request refused")
    _assert_on_one_line(log, "soap request refused")
    assert "urn:forged\\n2026-12-02" in log  # kept, escaped


@pytest.mark.attack("OWASP ASVS 4.0.3 V7.3.1 (CWE-117): request path in the access log")
@pytest.mark.parametrize(
    "separator",
    [pytest.param("%0A", id="LF"), pytest.param("%0D%0A", id="CRLF"), pytest.param("%E2%80%A8", id="U+2028")],
)
def test_when_a_request_path_carries_a_line_break_then_it_forges_no_log_line(
    server: Server, log_output: io.StringIO, separator: str
) -> None:
    forged = FORGED.replace(" ", "%20")
    with nothing_issued(server):
        answer = _path(server, f"/no-such-page{separator}{forged}%1B[2J")

    assert answer.status_code == 404
    log = _logged(log_output, "/no-such-page")
    _assert_on_one_line(log, "/no-such-page")
    assert "\\x1b[2J" in log  # the terminal escape, written out harmless


@pytest.mark.attack("OWASP ASVS 4.0.3 V7.3.1 (CWE-117): the log of `forcegate serve`")
def test_when_forcegate_serve_is_sent_a_forged_line_then_its_log_has_none(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    settings = make_settings(url, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
    env.update(FORCEGATE_HOME=str(tmp_path), FORCEGATE_SERVER_KEYS=settings.server_keys or "")
    command = [str(FORCEGATE), "serve", "--port", "0", "--database", url, "--log-level", "info"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        started: list[str] = []
        while not started or "listening on" not in started[-1]:
            started.append(process.stderr.readline())
            assert started[-1], "forcegate serve did not start: " + "".join(started)
        origin = started[-1].split("listening on ")[1].split()[0]
        ctx = Context.from_settings(settings)
        watched = cast(Server, SimpleNamespace(ctx=ctx))
        with nothing_issued(watched), httpx.Client(base_url=origin, timeout=30) as client:
            assert _soap_operation_in_namespace(client, "urn:forged&#10;" + FORGED).status_code == 500
            assert client.get(f"/no-such-page%0A{FORGED.replace(' ', '%20')}").status_code == 404
        ctx.db.dispose()
    finally:
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
    log = "".join(started) + rest
    assert "soap request refused" in log and "/no-such-page" in log, log
    assert not any(line.startswith(FORGED[:24]) for line in log.splitlines()), log

"""Log injection: a value a caller sends (a SOAP namespace, a request path) carrying a line break or a
terminal escape must not start a log line of its own, nor reach the terminal. The log is read as
``forcegate serve`` writes it: through ``forcegate.logs.handler``'s formatter."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator

import httpx
import pytest

from forcegate import logs
from tests.attacks.unchanged import nothing_issued
from tests.conftest import Server

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
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


def _soap_operation_in_namespace(server: Server, namespace: str) -> httpx.Response:
    # The namespace is an attribute: a literal newline would be normalised to a space by the XML
    # parser, a character reference is not.
    envelope = f'<se:Envelope xmlns:se="{ENV}"><se:Body><x:op xmlns:x="{namespace}"/></se:Body></se:Envelope>'
    with server.client() as client:
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
    with nothing_issued(server):
        answer = _soap_operation_in_namespace(server, "urn:forged&#10;" + FORGED + "&#13;&#10;")

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

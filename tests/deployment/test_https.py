"""`forcegate serve --tls-cert --tls-key` serves HTTPS that a client trusting the dev CA accepts."""

from __future__ import annotations

import http.client
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import IO

import httpx
import pytest

from forcegate.devca import create_dev_certificates

FORCEGATE = str(Path(sys.executable).parent / "forcegate")


def test_when_served_with_dev_certificate_then_https_works_and_urls_are_https(tmp_path: Path) -> None:
    certs = create_dev_certificates(tmp_path / "tls")
    env = {**os.environ, "FORCEGATE_HOME": str(tmp_path), "FORCEGATE_PUBLIC_URL": ""}
    process = subprocess.Popen(
        [
            FORCEGATE,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--database",
            f"sqlite:///{tmp_path}/fg.db",
            "--tls-cert",
            str(certs.cert),
            "--tls-key",
            str(certs.key),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line and process.poll() is not None:
                pytest.fail("server exited early")
            found = re.search(r"listening on (https://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        assert url is not None
        with httpx.Client(verify=ssl.create_default_context(cafile=certs.ca_cert), timeout=10) as client:
            response = client.get(f"{url}/services/data/")
            assert response.status_code == 401  # TLS handshake done; the endpoint wants a token
            page = client.get(f"{url}/services/oauth2/authorize", params={"client_id": "nope"})
            assert page.status_code == 400
        with pytest.raises(httpx.ConnectError), httpx.Client(timeout=10) as untrusting:
            untrusting.get(f"{url}/services/data/")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_when_only_one_of_cert_and_key_given_then_usage_error(tmp_path: Path) -> None:
    certs = create_dev_certificates(tmp_path / "tls")
    result = subprocess.run(
        [
            FORCEGATE,
            "serve",
            "--port",
            "0",
            "--database",
            f"sqlite:///{tmp_path}/fg.db",
            "--tls-cert",
            str(certs.cert),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "FORCEGATE_HOME": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "--tls-cert and --tls-key go together" in result.stderr


SHUTDOWN_TIMEOUT = 1.0
SHUTDOWN_MARGIN = 4.0  # process start-up of the exit path on a busy two-core machine


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_when_sigterm_while_a_client_holds_an_idle_keep_alive_connection_then_exits_within_shutdown_timeout(
    tmp_path: Path, scheme: str
) -> None:
    """uvicorn waits for every connection to close; over TLS an idle keep-alive one stayed open for
    the SSL shutdown timeout (30 s), so a test suite's teardown hung on it."""
    certs = create_dev_certificates(tmp_path / "tls")
    tls = ["--tls-cert", str(certs.cert), "--tls-key", str(certs.key)] if scheme == "https" else []
    process = subprocess.Popen(
        [FORCEGATE, "serve", "--port", "0", "--database", f"sqlite:///{tmp_path}/fg.db", *tls,
         "--shutdown-timeout", str(SHUTDOWN_TIMEOUT)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "FORCEGATE_HOME": str(tmp_path), "FORCEGATE_PUBLIC_URL": ""},
    )  # fmt: skip
    try:
        assert process.stderr is not None
        port = _listening_port(process.stderr, scheme)
        connection = (
            http.client.HTTPSConnection(
                "127.0.0.1", port, timeout=10, context=ssl.create_default_context(cafile=certs.ca_cert)
            )
            if scheme == "https"
            else http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        )
        with closing(connection):
            connection.request("GET", "/services/data/")
            response = connection.getresponse()
            response.read()
            assert response.status == 401
            assert response.getheader("Connection") != "close"
            assert connection.sock is not None  # kept alive, idle

            asked = time.monotonic()
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=SHUTDOWN_TIMEOUT + SHUTDOWN_MARGIN)
            except subprocess.TimeoutExpired:
                pytest.fail(f"still running {SHUTDOWN_TIMEOUT + SHUTDOWN_MARGIN} s after SIGTERM")
            took = time.monotonic() - asked
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    assert took < SHUTDOWN_TIMEOUT + SHUTDOWN_MARGIN


def _listening_port(stderr: IO[str], scheme: str) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = stderr.readline()
        if not line:
            pytest.fail("server exited early")
        found = re.search(rf"listening on {scheme}://127\.0\.0\.1:(\d+)", line)
        if found:
            return int(found.group(1))
    pytest.fail("server did not start")

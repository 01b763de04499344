"""`forcegate serve --tls-cert --tls-key` serves HTTPS that a client trusting the dev CA accepts."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import time
from pathlib import Path

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

"""HTTP/1.1 over a plain socket, for attacks no well-behaved client sends: half a request, a body
that never ends, two requests on one connection."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Answer", "connect", "read_answer", "request_head", "wait_closed"]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def connect(url: str, timeout: float = 10.0) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def request_head(method: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: forcegate.test"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_until(sock: socket.socket, buffer: bytearray, marker: bytes) -> int:
    while (found := buffer.find(marker)) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before {marker!r}; got {bytes(buffer)!r}")
        buffer += chunk
    return found


def read_answer(sock: socket.socket, buffer: bytearray | None = None) -> Answer:
    """One response (Content-Length framed, as forcegate's are), leaving what follows in ``buffer``."""
    buffer = bytearray() if buffer is None else buffer
    end = _read_until(sock, buffer, b"\r\n\r\n")
    head = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    del buffer[: end + 4]
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside the body")
        buffer += chunk
    body = bytes(buffer[:length])
    del buffer[:length]
    return Answer(int(head[0].split()[1]), headers, body)


def wait_closed(sock: socket.socket, within: float) -> tuple[float, bytes]:
    """Seconds until the server closed the connection (reading whatever it sent meanwhile); fails
    the test if it stays open for ``within`` seconds."""
    started = time.monotonic()
    sock.settimeout(within)
    received = bytearray()
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError as exc:
        raise AssertionError(f"connection still open after {within}s") from exc
    except ConnectionResetError:
        pass
    return time.monotonic() - started, bytes(received)

"""What the fuzzers (``tests/*/test_fuzz_*.py``) share: the hypothesis profile that bounds their time, a
server of their own per backend, and a watch on the server's log for unhandled exceptions.

The fuzzers get their own server and database (on each backend) rather than the shared ``server``:
they create users and apps, change profiles and fail logins by the hundred, and none of that may
leak into the tests that share a server (login throttles, lockouts, row counts, permissions).

Time: ``FUZZ`` is the profile every fuzz test starts from; each test sets its ``max_examples`` so that
all fuzzing together adds about two minutes to ``make test`` on two cores. ``FORCEGATE_FUZZ_SCALE=10``
runs ten times as many examples (a longer local hunt). Under CI the examples are derandomized: every
run tries the same inputs, so a red run is reproducible and a green one is not luck.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from joserfc import jws
from joserfc.jwk import RSAKey

from tests.support.server import IN_CI, Server, _postgres_database, make_settings, start_server

__all__ = ["FUZZ", "ServerLog", "examples", "fuzz_server_for", "sign_json"]

settings.register_profile(
    "forcegate-fuzz",
    deadline=None,  # the server shares two cores with everything else: timings are not the property
    derandomize=IN_CI,
    database=None if IN_CI else settings.default.database,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # server_log collects over the whole test, on purpose
    ],
)
FUZZ = settings.get_profile("forcegate-fuzz")
SCALE = max(1, int(os.environ.get("FORCEGATE_FUZZ_SCALE", "1")))


def examples(count: int) -> settings:
    """The fuzz profile with ``count`` examples per run (times ``FORCEGATE_FUZZ_SCALE``)."""
    return settings(FUZZ, max_examples=count * SCALE)


def fuzz_server_for(backend: str, tmp_path: Path) -> Iterator[Server]:
    """A fresh database on ``backend`` and a server on it, for one fuzz module."""
    if backend == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'fuzz.db'}"])
    else:
        urls = _postgres_database()
    for url in urls:
        yield from start_server(make_settings(url, tmp_path), backend)


def sign_json(claims: object, key: RSAKey) -> str:
    """An RS256 JWS of ``claims`` as Python's JSON writes it: any value, escapes included (``\\udfff``,
    ``Infinity``), where a JWT library would refuse to encode it."""
    return jws.serialize_compact({"alg": "RS256"}, json.dumps(claims).encode(), key, algorithms=["RS256"])


class ServerLog(logging.Handler):
    """Every record at ERROR or above from forcegate and uvicorn (the test server runs in this
    process): an unhandled exception is logged by ``web.app._unexpected`` and again by uvicorn."""

    LOGGERS = ("forcegate", "uvicorn")

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.errors: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(record)

    def describe(self, start: int = 0) -> str:
        return "\n".join(self.format(record) for record in self.errors[start:])

    @contextmanager
    def no_new_errors(self, what: object) -> Iterator[None]:
        """Fails if the block made the server log an error; ``what`` (the input) goes in the message."""
        start = len(self.errors)
        yield
        assert len(self.errors) == start, f"server logged an error for {what!r}:\n{self.describe(start)}"


@pytest.fixture
def server_log() -> Iterator[ServerLog]:
    """Collects the server's errors during one test and fails the test if any was logged."""
    handler = ServerLog()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(name) for name in ServerLog.LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    assert not handler.errors, f"the server logged errors:\n{handler.describe()}"

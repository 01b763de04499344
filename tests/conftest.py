"""Test fixtures: a real forcegate server on a free loopback port, on every storage backend.

Each backend (SQLite, PostgreSQL) gets a fresh migrated database and one server, shared by the tests
of that backend. Under CI (``CI=true``) a PostgreSQL that cannot be reached fails the run; elsewhere
it is skipped with the reason shown.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import BACKENDS, Server, _postgres_database, make_settings, start_server

# Fixtures shared by more than one test folder (flows, attacks, conformance; every browser test's Chromium).
pytest_plugins = ["tests.support.org_settings", "tests.support.pages"]


@pytest.fixture(scope="session", params=[b for b in ("sqlite", "postgresql") if b in BACKENDS])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(backend name, database URL): every storage test runs once per backend."""
    if request.param == "sqlite":
        yield "sqlite", f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'forcegate.db'}"
    else:
        yield from (("postgresql", url) for url in _postgres_database())


@pytest.fixture(scope="session")
def server(backend: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    name, url = backend
    yield from start_server(make_settings(url, tmp_path_factory.mktemp("keys")), name)


@pytest.fixture(autouse=True)
def _reset_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "server" in request.fixturenames:
        request.getfixturevalue("server").clock.offset_ms = 0

"""The ``org_settings`` fixture: change the shared server's org settings for one test (password flows,
SOAP login, trusted IP ranges, lockout), restored afterwards. Registered for every test folder by
``pytest_plugins`` in ``tests/conftest.py``; import ``OrgSettings`` (and ``LOOPBACK``) from here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from forcegate.domain import Org
from forcegate.org.access import ORG_SETTINGS, org_view, update_org
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.server import Server

LOOPBACK = ["127.0.0.1/32", "::1/128"]

OrgSettings = Callable[..., Org]


@pytest.fixture
def org_settings(server: Server) -> Iterator[OrgSettings]:
    """Change the shared server's org settings for one test; they are restored afterwards (all of
    them: a test that changes them another way asks for this fixture too)."""
    with server.ctx.db.read() as conn:
        original = repo.org_by_id(conn, server.org_id)
    assert original is not None

    def change(**settings: Any) -> Org:
        with server.ctx.db.write() as conn:
            org = repo.org_by_id(conn, server.org_id)
            assert org is not None
            return update_org(server.ctx, conn, org, settings, actor=FIXTURE)

    try:
        yield change
    finally:
        saved = org_view(original)
        # Every setting, whoever changed it during the test (this fixture, Setup's page, the CLI).
        change(**{k: saved[k] for k in ORG_SETTINGS})

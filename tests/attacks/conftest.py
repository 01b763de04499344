"""The attack catalogue: every test here is one attack, marked with where it comes from.

``@pytest.mark.attack("RFC 9700 §4.8.2")`` names the source (an RFC section, OWASP ASVS requirement,
OpenID conformance test or Salesforce's documented refusal). A test without the marker fails at
collection, so the catalogue cannot grow cases that cite nothing.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/attacks/" not in item.nodeid.replace("\\", "/"):
            continue
        marker = item.get_closest_marker("attack")
        if marker is None or not marker.args or not str(marker.args[0]).strip():
            raise pytest.UsageError(
                f"{item.nodeid}: an attack case must cite its source with @pytest.mark.attack"
            )

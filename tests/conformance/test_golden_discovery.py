"""Golden files of the discovery documents and the JWKS (tests/conformance/golden/README.md)."""

from __future__ import annotations

import pytest

from tests.conformance.conftest import GoldenOrg
from tests.support.golden import assert_golden, exchange


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("discovery_openid_configuration", "/.well-known/openid-configuration"),
        ("discovery_oauth_authorization_server", "/.well-known/oauth-authorization-server"),
    ],
)
def test_discovery_document(golden_org: GoldenOrg, name: str, path: str) -> None:
    with golden_org.server.client() as client:
        response = client.get(path)
    assert_golden(name, exchange(golden_org.normaliser(), response))


def test_jwks(golden_org: GoldenOrg) -> None:
    """The shape of a published key. How many are published depends on whether a key rotation ran
    before (tests/flows/test_openid_connect.py rotates the shared server's): keys that normalise the
    same are listed once."""
    with golden_org.server.client() as client:
        response = client.get("/id/keys")
    document = exchange(golden_org.normaliser(), response)
    keys = document["body"]["keys"]
    document["body"]["keys"] = [key for i, key in enumerate(keys) if key not in keys[:i]]
    assert_golden("jwks", document)

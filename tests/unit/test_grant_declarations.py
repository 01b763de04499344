"""The grant declarations the token endpoint dispatches on: each grant declared once, its tables
derived from the declarations (forcegate.flows.grants, forcegate.flows.__init__)."""

from __future__ import annotations

import dataclasses
import inspect

from forcegate import flows
from forcegate.flows import authorize, grants
from forcegate.protocol.requests import TokenRequest

TOKEN_REQUEST_FIELDS = {field.name for field in dataclasses.fields(TokenRequest)}


def test_every_grant_type_has_one_declaration_in_discovery_order() -> None:
    assert list(flows.GRANTS) == [
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "device",
        "urn:ietf:params:oauth:grant-type:device_code",
        "password",
        "client_credentials",
    ]
    assert flows.GRANTS["device"] is flows.GRANTS["urn:ietf:params:oauth:grant-type:device_code"]
    assert set(flows.TOKEN_RESPONSE_TYPES) == {"device_code"}
    assert all(isinstance(grant, grants.Grant) for grant in flows.DECLARED)


def test_only_the_password_grant_is_cpu_heavy() -> None:
    # argon2 runs off the event loop whatever the database; the others stay on it on SQLite.
    heavy = flows.CPU_HEAVY_GRANTS
    assert heavy == {"password"}


def test_declared_parameters_are_token_request_fields() -> None:
    for grant in flows.DECLARED:
        assert set(grant.parameters) <= TOKEN_REQUEST_FIELDS, grant.flow


def test_only_the_jwt_bearer_grant_authenticates_its_own_client() -> None:
    none = {grant.flow for grant in flows.DECLARED if grant.client is grants.ClientAuthentication.NONE}
    assert none == {"jwt_bearer"}


def test_flow_modules_write_no_success_row_of_their_own() -> None:
    """Grant modules never call the login-history writers: the runner does, in the grant's transaction."""
    from forcegate.flows import client_credentials, jwt_bearer, refresh_token, username_password, web_server

    for module in (client_credentials, jwt_bearer, refresh_token, username_password, web_server):
        source = inspect.getsource(module)
        assert "record_login" not in source and "insert_login" not in source, module.__name__
        assert "db.write()" not in source, module.__name__


def test_authorize_response_types_are_declared_once() -> None:
    assert set(authorize.RESPONSE_TYPES) == {"code", "token"}
    assert [rt.flow for rt in authorize.RESPONSE_TYPES.values() if rt.issues_tokens] == ["user_agent"]

"""The resources' declarations (forcegate.resources): each body answers the messages the admin API and
the CLI answered before they were declared, and the declarations agree with the domain's choices."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest

from forcegate.data.metadata import CUSTOM_FIELD_TYPES
from forcegate.domain import IP_RELAXATIONS, PERMITTED_USERS_POLICIES, REFRESH_TOKEN_POLICIES
from forcegate.org.errors import ValidationFailed
from forcegate.resources import connected_app, credentials, org_settings, permissions, schema, user
from forcegate.resources.base import Declaration
from tests.support.golden import assert_golden

APP = {"name": "app", "callback_urls": ["https://a.example/cb"], "scopes": "api"}

# (declaration, body, message, field): the words of web/admin.py and the org services before issue 11.
REFUSALS: list[tuple[Declaration, dict[str, Any], str, str | None]] = [
    (connected_app.CREATE, {**APP, "zz": 1, "aa": 2}, "unknown or read-only field(s): aa, zz", None),
    (connected_app.CREATE, {**APP, "name": 5}, "name must be a string", "name"),
    # Missing and mistyped fields before values out of bounds, as the admin API always checked.
    (connected_app.CREATE, {"callback_urls": [], "scopes": "api"}, "name must be a string", "name"),
    (
        connected_app.CREATE,
        {"callback_urls": ["https://a.example/cb"], "scopes": "api"},
        "name must be a string",
        "name",
    ),
    (connected_app.CREATE, {**APP, "name": "  "}, "name must be 1 to 255 characters", "name"),
    (connected_app.CREATE, {**APP, "name": "x" * 256}, "name must be 1 to 255 characters", "name"),
    (
        connected_app.CREATE,
        {**APP, "callback_urls": "x"},
        "callback_urls must be a list of strings",
        "callback_urls",
    ),
    (
        connected_app.CREATE,
        {**APP, "callback_urls": [1]},
        "callback_urls must be a list of strings",
        "callback_urls",
    ),
    (
        connected_app.CREATE,
        {**APP, "callback_urls": []},
        "at least one callback URL is required",
        "callback_urls",
    ),
    (connected_app.CREATE, {**APP, "scopes": ["api"]}, "scopes must be a string", "scopes"),
    (connected_app.CREATE, {**APP, "is_enabled": 1}, "is_enabled must be a bool", "is_enabled"),
    (
        connected_app.CREATE,
        {**APP, "access_token_lifetime_seconds": 59},
        "access_token_lifetime_seconds must be between 60 and 86400",
        "access_token_lifetime_seconds",
    ),
    (
        connected_app.CREATE,
        {**APP, "access_token_lifetime_seconds": 86401},
        "access_token_lifetime_seconds must be between 60 and 86400",
        "access_token_lifetime_seconds",
    ),
    (
        connected_app.CREATE,
        {**APP, "access_token_lifetime_seconds": True},
        "access_token_lifetime_seconds must be a int",
        "access_token_lifetime_seconds",
    ),
    (
        connected_app.CREATE,
        {**APP, "permitted_users": "everyone"},
        "permitted_users must be one of all_self_authorize, admin_approved",
        "permitted_users",
    ),
    (connected_app.CREATE, {**APP, "permitted_users": 1}, "permitted_users must be a str", "permitted_users"),
    (
        connected_app.CREATE,
        {**APP, "refresh_token_policy": "never"},
        "refresh_token_policy must be one of until_revoked, expire_after, expire_if_unused",
        "refresh_token_policy",
    ),
    (
        connected_app.CREATE,
        {**APP, "refresh_token_validity_seconds": 59},
        "refresh_token_validity_seconds must be at least 60",
        "refresh_token_validity_seconds",
    ),
    (
        connected_app.UPDATE,
        {"refresh_token_validity_seconds": 2**73},
        "refresh_token_validity_seconds must be at most 2147483647",
        "refresh_token_validity_seconds",
    ),
    (
        org_settings.UPDATE,
        {"daily_api_requests": 2**31},
        "daily_api_requests must be at most 2147483647",
        "daily_api_requests",
    ),
    (connected_app.UPDATE, {"consumer_key": "x"}, "unknown or read-only field(s): consumer_key", None),
    (connected_app.UPDATE, {"name": 5}, "name must be a str", "name"),
    (connected_app.UPDATE, {"callback_urls": "x"}, "callback_urls must be a list", "callback_urls"),
    (
        connected_app.UPDATE,
        {"callback_urls": [1]},
        "callback_urls must be a list of strings",
        "callback_urls",
    ),
    (connected_app.UPDATE, {"is_enabled": None}, "is_enabled must be a bool", "is_enabled"),
    (connected_app.UPDATE, {"scopes": None}, "scopes must be a str", "scopes"),
    (
        user.CREATE,
        {"username": "a@b.example", "password": "Passw0rd1", "id": 1},
        "unknown field(s): id",
        None,
    ),
    (user.CREATE, {"password": "Passw0rd1"}, "username must be a string", "username"),
    (user.CREATE, {"username": "a@b.example"}, "password must be a string", "password"),
    (user.CREATE, {"username": "a@b.example", "password": "short1"}, user.PASSWORD_RULE, "password"),
    (user.CREATE, {"username": "a@b.example", "password": "lettersonly"}, user.PASSWORD_RULE, "password"),
    (user.CREATE, {"username": "a@b.example", "password": "12345678"}, user.PASSWORD_RULE, "password"),
    (user.UPDATE, {"username": "x"}, "unknown or read-only field(s): username", None),
    (user.UPDATE, {"is_active": "no"}, "is_active must be a boolean", "is_active"),
    (user.UPDATE, {"unlock": 1}, "unlock must be a boolean", "unlock"),
    (user.UPDATE, {"password": "nodigits!"}, user.PASSWORD_RULE, "password"),
    # Manage Users is a permission profiles and permission sets grant (issue 12): settable, but a boolean.
    (
        permissions.CHANGES,
        {"manage_everything": True},
        "unknown or read-only field(s): manage_everything",
        None,
    ),
    (permissions.CHANGES, {"manage_users": "yes"}, "manage_users must be a boolean", "manage_users"),
    (permissions.CHANGES, {"api_enabled": "yes"}, "api_enabled must be a boolean", "api_enabled"),
    (
        permissions.CHANGES,
        {"object_permissions": []},
        "object_permissions must be an object",
        "object_permissions",
    ),
    (
        permissions.CHANGES,
        {"field_permissions": 1},
        "field_permissions must be an object",
        "field_permissions",
    ),
    (permissions.PROFILE_CREATE, {}, "name must be a string", "name"),
    (permissions.PROFILE_CREATE, {"name": " "}, "name must be 1 to 255 characters", "name"),
    (permissions.PROFILE_CREATE, {"name": "p", "x": 1}, "unknown or read-only field(s): x", None),
    (permissions.PERMISSION_SET_CREATE, {"name": "x" * 81}, "name must be 1 to 80 characters", "name"),
    (permissions.PERMISSION_SET_CREATE, {"name": "s", "label": 1}, "label must be a string", "label"),
    (permissions.ASSIGNMENT, {}, "user must be a string", "user"),
    (permissions.ASSIGNMENT, {"user": "u", "x": 1}, "unknown field(s): x", None),
    (credentials.NO_FIELDS, {"x": 1}, "unknown field(s): x", None),
    (credentials.APP_TOKEN_REVOCATION, {"user": 1}, "user must be a string", "user"),
    (credentials.APP_TOKEN_REVOCATION, {"app": "a"}, "unknown field(s): app", None),
    (credentials.USER_TOKEN_REVOCATION, {"app": []}, "app must be a string", "app"),
    (org_settings.UPDATE, {"name": "x"}, "unknown org setting(s): name", None),
    (
        org_settings.UPDATE,
        {"allow_soap_login": "yes"},
        "allow_soap_login must be a boolean",
        "allow_soap_login",
    ),
    (
        org_settings.UPDATE,
        {"trusted_ip_ranges": "10.0.0.0/8"},
        "trusted_ip_ranges must be a list of CIDRs",
        "trusted_ip_ranges",
    ),
    (
        org_settings.UPDATE,
        {"lockout_minutes": -1},
        "lockout_minutes must be a non-negative integer",
        "lockout_minutes",
    ),
    (
        org_settings.UPDATE,
        {"max_login_attempts": True},
        "max_login_attempts must be a non-negative integer",
        "max_login_attempts",
    ),
]


@pytest.mark.parametrize(("declaration", "body", "message", "field"), REFUSALS)
def test_when_body_invalid_then_the_admin_apis_own_words(
    declaration: Declaration, body: dict[str, Any], message: str, field: str | None
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        declaration.validate(body)
    assert (refused.value.message, refused.value.field) == (message, field)


def test_when_update_valid_then_only_the_given_fields_come_back() -> None:
    assert connected_app.UPDATE.validate({"require_pkce": True, "certificate_pem": None}) == {
        "require_pkce": True,
        "certificate_pem": None,
    }
    assert connected_app.UPDATE.validate({}) == {}
    assert connected_app.CREATE.validate({**APP, "name": "  spaced  "})["name"] == "spaced"


def test_declared_choices_are_the_domains() -> None:
    assert connected_app.CREATE.field("permitted_users").choices == PERMITTED_USERS_POLICIES
    assert connected_app.CREATE.field("refresh_token_policy").choices == REFRESH_TOKEN_POLICIES
    assert connected_app.CREATE.field("ip_relaxation").choices == IP_RELAXATIONS
    assert set(schema.FIELD_TYPES) == set(CUSTOM_FIELD_TYPES)
    assert set(get_args(schema.FieldType)) == set(CUSTOM_FIELD_TYPES)


def test_fields_carry_what_a_form_needs() -> None:
    """Setup's forms will be drawn from ``fields()``: name, type, required, default, bounds,
    choices, help and whether the value is secret."""
    lifetime = connected_app.CREATE.field("access_token_lifetime_seconds")
    assert (lifetime.type, lifetime.required, lifetime.default) == (int, False, 7200)
    assert (lifetime.minimum, lifetime.maximum) == (60, 86400)
    assert lifetime.help and lifetime.flag is not None
    assert connected_app.CREATE.field("name").required
    assert not connected_app.UPDATE.field("name").required
    assert user.CREATE.field("password").secret and not user.CREATE.field("username").secret
    assert user.CREATE.field("password").min_length == 8
    assert connected_app.CREATE.field("certificate_pem").nullable
    assert org_settings.UPDATE.field("lockout_minutes").minimum == 0


DECLARATIONS = {
    "connected_app.CREATE": connected_app.CREATE,
    "connected_app.UPDATE": connected_app.UPDATE,
    "user.CREATE": user.CREATE,
    "user.UPDATE": user.UPDATE,
    "permissions.CHANGES": permissions.CHANGES,
    "permissions.PROFILE_CREATE": permissions.PROFILE_CREATE,
    "permissions.PERMISSION_SET_CREATE": permissions.PERMISSION_SET_CREATE,
    "permissions.ASSIGNMENT": permissions.ASSIGNMENT,
    "credentials.NO_FIELDS": credentials.NO_FIELDS,
    "credentials.APP_TOKEN_REVOCATION": credentials.APP_TOKEN_REVOCATION,
    "credentials.USER_TOKEN_REVOCATION": credentials.USER_TOKEN_REVOCATION,
    "org_settings.UPDATE": org_settings.UPDATE,
}


def test_every_declared_message_is_pinned() -> None:
    """The messages of the admin bodies live in the declarations, where the REST error catalogue
    (tests/conformance/test_error_catalogue_rest.py, which reads raises) cannot see them: pinned here,
    FIELD_INTEGRITY_EXCEPTION (400) all. Regenerate on purpose with FORCEGATE_UPDATE_GOLDEN=1."""
    assert_golden(
        "declared_messages",
        {name: declaration.messages() for name, declaration in DECLARATIONS.items()},
        Path(__file__).parent / "golden",
    )


@pytest.mark.parametrize(("declaration", "body", "message", "field"), REFUSALS)
def test_every_refusal_message_is_a_declared_one(
    declaration: Declaration, body: dict[str, Any], message: str, field: str | None
) -> None:
    if field is None:
        message = message.split(": ", 1)[0] + ": {names}"
    assert message in declaration.messages()

"""A connected app's settings: what an admin sets when registering or changing one (admin API
``/connected-apps``, ``forcegate apps create|update``). The service (``org.connected_apps``) adds the
rules that need the org: a unique name, the run-as user, callback URLs and scopes that parse."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, cast

from pydantic import Field, StringConstraints

from forcegate.domain import (
    DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
    IP_ENFORCE,
    PERMITTED_ALL_SELF_AUTHORIZE,
    REFRESH_UNTIL_REVOKED,
)
from forcegate.resources.base import STORED_INT_MAX, Declaration, Flag, Resource, Says

__all__ = ["CREATE", "POLICY_FIELDS", "UPDATE", "ConnectedAppSettings"]

# The domain's choices (PERMITTED_USERS_POLICIES, REFRESH_TOKEN_POLICIES, IP_RELAXATIONS), as types; a
# test checks they agree.
PermittedUsers = Literal["all_self_authorize", "admin_approved"]
RefreshTokenPolicy = Literal["until_revoked", "expire_after", "expire_if_unused"]
IpRelaxation = Literal["ENFORCE", "BYPASS", "ENFORCE_RELAXREFRESH"]  # Salesforce's values, stored as given

MIN_LIFETIME_SECONDS = 60
MAX_LIFETIME_SECONDS = 24 * 3600
MIN_REFRESH_VALIDITY_SECONDS = 60
DESCRIPTION_MAX_LENGTH = 256  # Salesforce's limit on a connected app's description

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    Field(description="unique in the org"),
    Says(bounds="name must be 1 to 255 characters"),
]
CallbackUrls = Annotated[
    list[str],
    Field(
        min_length=1,
        description="allowed redirect URIs",
        json_schema_extra={"items": {"type": "string", "format": "uri"}},
    ),
    Says(item="callback_urls must be a list of strings", bounds="at least one callback URL is required"),
    Flag(("--callback-url",), help="Repeat for several.", name="callback_urls"),
]
Scopes = Annotated[
    str,
    Field(
        description="space-separated OAuth scopes, e.g. `api refresh_token openid`",
        examples=["api refresh_token"],
    ),
    Flag(help='Space-separated, e.g. "api refresh_token openid".'),
]
Lifetime = Annotated[
    int,
    Field(ge=MIN_LIFETIME_SECONDS, le=MAX_LIFETIME_SECONDS, description="seconds an access token lives"),
    Says(
        bounds=f"access_token_lifetime_seconds must be between {MIN_LIFETIME_SECONDS} "
        f"and {MAX_LIFETIME_SECONDS}"
    ),
    Flag(("--access-token-lifetime",), help=f"Seconds. [default: {DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS}]"),
]
RefreshValidity = Annotated[
    int | None,
    Field(
        ge=MIN_REFRESH_VALIDITY_SECONDS,
        le=STORED_INT_MAX,
        description="N for the expire_after and expire_if_unused policies",
    ),
    Says(
        bounds=f"refresh_token_validity_seconds must be at least {MIN_REFRESH_VALIDITY_SECONDS}",
        maximum=f"refresh_token_validity_seconds must be at most {STORED_INT_MAX}",
    ),
    Flag(("--refresh-token-validity",), help="N of the refresh token policy.", metavar="SECONDS"),
]


class ConnectedAppSettings(Resource):
    """The settable fields of a connected app (in the order ``forcegate apps`` lists their options)."""

    unknown_message: ClassVar[str] = "unknown or read-only field(s): {names}"
    # The service's words: Python's type names.
    type_words: ClassVar[Mapping[type, str]] = {str: "str", bool: "bool", int: "int", list: "list"}

    name: Name
    callback_urls: CallbackUrls
    scopes: Scopes
    is_enabled: Annotated[
        bool, Field(description="the app may be used at all"), Flag(("--enabled/--disabled",))
    ] = True
    contact_email: Annotated[
        str | None,
        Field(
            max_length=255, description="who to contact about the app", json_schema_extra={"format": "email"}
        ),
        Says(bounds="contact_email must be at most 255 characters"),
        Flag(help="Who to contact about the app (an email address)."),
    ] = None
    description: Annotated[
        str | None,
        Field(max_length=DESCRIPTION_MAX_LENGTH, description="what the app is for"),
        Says(bounds=f"description must be at most {DESCRIPTION_MAX_LENGTH} characters"),
        Flag(help="What the app is for."),
    ] = None
    require_pkce: Annotated[
        bool,
        Field(description="the authorization request needs PKCE"),
        Flag(("--require-pkce/--no-require-pkce",), help="[default: off]"),
    ] = False
    require_secret_for_web_server: Annotated[
        bool,
        Field(description="the web-server flow's token request must carry the consumer secret"),
        Flag(
            ("--require-secret/--no-require-secret",),
            help="Require the consumer secret in the Web Server flow. [default: on]",
        ),
    ] = True
    access_token_lifetime_seconds: Lifetime = DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS
    user_agent_flow_enabled: Annotated[
        bool,
        Field(description="response_type=token is allowed"),
        Flag(("--user-agent-flow/--no-user-agent-flow",), help="[default: on]"),
    ] = True
    device_flow_enabled: Annotated[
        bool,
        Field(description="the device flow is allowed"),
        Flag(("--device-flow/--no-device-flow",), help="[default: off]"),
    ] = False
    client_credentials_enabled: Annotated[
        bool,
        Field(description="the client credentials flow is allowed; needs client_credentials_user"),
        Flag(("--client-credentials/--no-client-credentials",), help="[default: off; needs --run-as]"),
    ] = False
    client_credentials_user: Annotated[
        str | None,
        Field(
            description="run-as user of the client credentials flow: record ID or username of an active user",
            json_schema_extra={"writeOnly": True},
        ),
        Flag(("--run-as",), help="The client credentials flow's run-as user.", metavar="USER", name="run_as"),
    ] = None
    certificate_pem: Annotated[
        str | None,
        Field(
            description="X.509 certificate (PEM, RSA key) verifying JWT bearer assertions; enables that flow"
        ),
        Flag(
            ("--certificate",),
            help="X.509 certificate (PEM) verifying JWT bearer assertions; enables that flow.",
            file=True,
        ),
    ] = None
    permitted_users: Annotated[
        PermittedUsers,
        Field(description="who may use the app (Salesforce's Permitted Users)"),
        Flag(help="[default: all_self_authorize]"),
    ] = cast(PermittedUsers, PERMITTED_ALL_SELF_AUTHORIZE)
    refresh_token_policy: Annotated[
        RefreshTokenPolicy,
        Field(description="how long a refresh token stays valid"),
        Flag(help="[default: until_revoked]"),
    ] = cast(RefreshTokenPolicy, REFRESH_UNTIL_REVOKED)
    refresh_token_validity_seconds: RefreshValidity = None
    refresh_token_rotation: Annotated[
        bool,
        Field(description="every refresh returns a new refresh token"),
        Flag(("--refresh-token-rotation/--no-refresh-token-rotation",), help="[default: off]"),
    ] = False
    jwt_access_tokens: Annotated[
        bool,
        Field(description="issue signed JWT access tokens (verifiable from /id/keys, still revocable here)"),
        Flag(
            ("--jwt-access-tokens/--no-jwt-access-tokens",),
            help="Issue signed JWT access tokens instead of opaque ones. [default: off]",
        ),
    ] = False
    ip_relaxation: Annotated[
        IpRelaxation,
        Field(
            description="Salesforce's IP Relaxation: whether the org's trusted IP ranges apply to the app's "
            "users (stored and shown)"
        ),
        Flag(help="[default: ENFORCE]"),
    ] = cast(IpRelaxation, IP_ENFORCE)


class ConnectedAppCreate(ConnectedAppSettings):
    """A connected app to register: a name, its callback URLs and scopes, and any policies."""

    # The admin API has always answered these in its own words at registration.
    says: ClassVar[Mapping[str, Says]] = {
        "name": Says(type="name must be a string", bounds="name must be 1 to 255 characters"),
        "callback_urls": Says(
            type="callback_urls must be a list of strings",
            bounds="at least one callback URL is required",
        ),
        "scopes": Says(type="scopes must be a string"),
    }


CREATE = Declaration(ConnectedAppCreate, name="ConnectedAppCreate")
UPDATE = Declaration(
    ConnectedAppSettings,
    partial=True,
    name="ConnectedAppUpdate",
    description="any subset of the updatable fields",
    min_fields=1,
)
POLICY_FIELDS = tuple(
    f for f in ConnectedAppSettings.model_fields if f not in ("name", "callback_urls", "scopes")
)


@cache
def defaults() -> dict[str, Any]:
    """The policies of an app registered without any."""
    return {f.name: f.default for f in CREATE.fields() if f.name in POLICY_FIELDS}

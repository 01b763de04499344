"""The org's security settings (``forcegate org update``; Setup's Security pages later)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field

from forcegate.resources.base import STORED_INT_MAX, Declaration, Flag, Resource, Says

__all__ = ["UPDATE"]

ADMIN_SESSION_MAX_MINUTES = 24 * 60  # Salesforce's longest session timeout


class OrgSettings(Resource):
    """The org's settings to change; the others keep their values."""

    unknown_message: ClassVar[str] = "unknown org setting(s): {names}"

    allow_username_password_flows: Annotated[
        bool,
        Field(description="the OAuth username-password flow (off by default, as Salesforce recommends)"),
        Flag(
            ("--allow-username-password-flows/--block-username-password-flows",),
            help="The OAuth username-password flow (off by default, as Salesforce recommends).",
        ),
    ]
    allow_soap_login: Annotated[
        bool,
        Field(description="SOAP login() (off by default)"),
        Flag(("--allow-soap-login/--block-soap-login",), help="SOAP login() (off by default)."),
    ]
    trusted_ip_ranges: Annotated[
        list[Any],
        Field(description="CIDRs where the password flows need no security token"),
        Says(type="trusted_ip_ranges must be a list of CIDRs"),
        Flag(
            ("--trusted-ip-range",),
            name="trusted_ip_ranges",
            metavar="CIDR",
            help="Replaces the trusted IP ranges; repeat for several.",
        ),
    ]
    max_login_attempts: Annotated[
        int,
        Field(ge=0, le=STORED_INT_MAX, description="failed logins before lockout (0: no limit)"),
        Says(
            type="max_login_attempts must be a non-negative integer",
            maximum=f"max_login_attempts must be at most {STORED_INT_MAX}",
        ),
        Flag(help="Failed logins before lockout (0: no limit)."),
    ]
    lockout_minutes: Annotated[
        int,
        Field(ge=0, le=STORED_INT_MAX, description="lockout length (0: until an admin unlocks)"),
        Says(
            type="lockout_minutes must be a non-negative integer",
            maximum=f"lockout_minutes must be at most {STORED_INT_MAX}",
        ),
        Flag(help="Lockout length (0: until an admin unlocks)."),
    ]
    daily_api_requests: Annotated[
        int,
        Field(ge=0, le=STORED_INT_MAX, description="data-API requests allowed per UTC day"),
        Says(
            type="daily_api_requests must be a non-negative integer",
            maximum=f"daily_api_requests must be at most {STORED_INT_MAX}",
        ),
        Flag(help="Data-API requests allowed per UTC day."),
    ]

    admin_session_minutes: Annotated[
        int,
        Field(
            ge=1,
            le=ADMIN_SESSION_MAX_MINUTES,
            description="how long an administrator may use Setup after logging in, in minutes",
        ),
        Says(
            type="admin_session_minutes must be a positive integer",
            bounds=f"admin_session_minutes must be between 1 and {ADMIN_SESSION_MAX_MINUTES} (24 hours)",
        ),
        Flag(help="How long an administrator may use Setup after logging in, in minutes (default 120)."),
    ]


UPDATE = Declaration(OrgSettings, partial=True)

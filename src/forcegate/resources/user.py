"""A user as an admin creates and changes one (admin API ``/users``, ``forcegate users create|update``).
The service (``org.users``) adds what needs the org or a normalisation: a unique, email-shaped
username, an existing profile, a valid email."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field

from forcegate.resources.base import Declaration, Flag, Resource, Says, Secret, checked

__all__ = ["CREATE", "PASSWORD_RULE", "UPDATE"]

USERNAME_RULE = "username must be in the form of an email address, e.g. ada@acme.com"
# Salesforce's default org password policy: 8 characters, letters and numbers.
PASSWORD_RULE = "password must be at least 8 characters and mix letters and numbers"
MIN_PASSWORD_LENGTH = 8


def _password_policy(password: str) -> str:
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise checked(PASSWORD_RULE)
    return password


Username = Annotated[
    str,
    Field(max_length=255, description="email-shaped and unique", json_schema_extra={"format": "email"}),
    Says(bounds=USERNAME_RULE),
    Flag(help="Email-shaped and unique."),
]
Password = Annotated[
    str,
    Field(min_length=MIN_PASSWORD_LENGTH, description="at least 8 characters, mixing letters and numbers"),
    AfterValidator(_password_policy),
    Says(bounds=PASSWORD_RULE),
    Secret,
]
Email = Annotated[str, Field(json_schema_extra={"format": "email"})]
ProfileName = Annotated[str, Field(description="profile name, e.g. `Standard User`, `System Administrator`")]


class UserCreate(Resource):
    """A user to create: active, with a new security token (shown once)."""

    username: Username
    password: Password
    profile: Annotated[
        ProfileName | None,
        Field(description='profile name [default: "Standard User"]'),
        Flag(help='Profile name [default: "Standard User"].'),
    ] = None
    email: Annotated[
        Email | None, Field(description="defaults to the username"), Flag(help="[default: the username]")
    ] = None
    first_name: Annotated[str | None, Field(description="first name")] = ""
    last_name: Annotated[str | None, Field(description="defaults to the username's local part")] = None


class UserUpdate(Resource):
    """The fields to change; the others keep their values."""

    unknown_message: ClassVar[str] = "unknown or read-only field(s): {names}"

    is_active: Annotated[
        bool,
        Field(description="false deactivates the user and revokes every token of theirs"),
        Flag(("--active/--inactive",)),
    ]
    profile: ProfileName
    password: Annotated[Password, Field(description="a new password; also lifts a login lockout")]
    email: Email
    first_name: Annotated[str, Field(description="first name")]
    last_name: Annotated[str, Field(description="last name")]
    unlock: Annotated[
        bool,
        Field(description="true lifts a login lockout at once"),
        Flag(help="Lift a login lockout at once (a new --password does too)."),
    ]
    reset_security_token: Annotated[
        bool,
        Field(
            description="true issues a new security token (shown once in the answer; a new password does too)"
        ),
        Flag(help="Issue a new security token, shown once (a new --password does too)."),
    ]


CREATE = Declaration(UserCreate)
UPDATE = Declaration(UserUpdate, partial=True)

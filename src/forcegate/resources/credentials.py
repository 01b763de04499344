"""The bodies of the credential actions: secret rotation takes none; revoking tokens may narrow the
revocation to one user (of an app) or one app (of a user)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, ClassVar

from pydantic import Field

from forcegate.resources.base import Declaration, Flag, Resource, Says

__all__ = ["APP_TOKEN_REVOCATION", "NO_FIELDS", "USER_TOKEN_REVOCATION"]


class NoFields(Resource):
    """No request body (an empty JSON object is accepted too)."""


class AppTokenRevocation(Resource):
    """Optional: narrow the revocation to one user's tokens."""

    says: ClassVar[Mapping[str, Says]] = {"user": Says(type="user must be a string")}

    user: Annotated[
        str | None,
        Field(description="only this user's tokens: record ID or username"),
        Flag(name="user_ref", help="Only this user's tokens (record ID or username)."),
    ] = None


class UserTokenRevocation(Resource):
    """Optional: narrow the revocation to one app's tokens."""

    says: ClassVar[Mapping[str, Says]] = {"app": Says(type="app must be a string")}

    app: Annotated[
        str | None,
        Field(description="only this app's tokens: record ID, consumer key or name"),
        Flag(name="app_ref", help="Only the tokens of this app (record ID, consumer key or name)."),
    ] = None


NO_FIELDS = Declaration(NoFields)
APP_TOKEN_REVOCATION = Declaration(AppTokenRevocation)
USER_TOKEN_REVOCATION = Declaration(UserTokenRevocation)

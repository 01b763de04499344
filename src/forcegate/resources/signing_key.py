"""Signing keys of id_tokens and JWT access tokens (``forcegate keys``): only retirement takes input."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from forcegate.resources.base import Declaration, Flag, Resource

__all__ = ["RETIRE"]


class KeyRetirement(Resource):
    """Retire (unpublish and wipe) one key, or every rotated-out key whose tokens have expired."""

    kid: Annotated[str | None, Field(description="the key's ID; none: every expired rotated-out key")] = None
    force: Annotated[
        bool,
        Field(description="retire the key even though tokens it signed may still be valid"),
        Flag(help="Retire KID even though tokens it signed may still be valid."),
    ] = False


RETIRE = Declaration(KeyRetirement)

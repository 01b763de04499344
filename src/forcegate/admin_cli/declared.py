"""The CLI's options from the resources' declarations (``forcegate.resources``): a field's option — its
flags, type, choices, whether it repeats or is required, its help — is drawn from the field's
declaration, and ``given`` turns the options' values back into the field values the services take.
Options particular to one command (``--disabled``, ``--no-certificate``...) stay with the command."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from forcegate.resources.base import Declaration, FieldSpec, Flag

__all__ = ["given", "options"]

F = TypeVar("F", bound=Callable[..., Any])
_NO_DEFAULTS: Mapping[str, Any] = {}


def _decls(spec: FieldSpec) -> list[str]:
    flag = spec.flag or Flag()
    decls = list(flag.decls) or [f"--{spec.name.replace('_', '-')}"]
    return [*decls, flag.name] if flag.name else decls


def _is_flag(spec: FieldSpec) -> bool:
    """A boolean set by naming it (``--unlock``): not naming it says nothing, unlike ``--no-x``."""
    return spec.type is bool and "/" not in _decls(spec)[0]


def parameter(spec: FieldSpec) -> str:
    """The name of the field's option's parameter (click's, from its first flag, unless named)."""
    flag = spec.flag or Flag()
    if flag.name:
        return flag.name
    first = _decls(spec)[0].split("/")[0]
    return first.lstrip("-").replace("-", "_")


def _option(spec: FieldSpec, partial: bool, default: Any, help: Any) -> Callable[[F], F]:
    flag = spec.flag or Flag()
    decls = _decls(spec)
    settings: dict[str, Any] = {"help": flag.help if help is _NO_DEFAULTS else help}
    if flag.metavar:
        settings["metavar"] = flag.metavar
    if _is_flag(spec):
        settings["is_flag"] = True
    elif spec.type is bool:
        settings["default"] = None  # unset: unchanged, or the declared default
    elif spec.type in (list, dict):  # repeated: one item (or one NAME:VALUE entry) each
        settings["multiple"] = True
    elif spec.choices:
        settings["type"] = click.Choice(spec.choices)
    elif spec.type is int:
        settings["type"] = int
    if flag.file:
        settings["type"] = click.Path(exists=True, dir_okay=False)
    if spec.required and not partial:
        settings["required"] = True
    if default is not _NO_DEFAULTS:
        settings["default"] = default
    option: Callable[[F], F] = click.option(*decls, **settings)
    return option


def options(
    declaration: Declaration,
    *names: str,
    defaults: Mapping[str, Any] = _NO_DEFAULTS,
    helps: Mapping[str, str | None] = _NO_DEFAULTS,
) -> Callable[[F], F]:
    """Click options for the named fields of ``declaration``, in that order. ``defaults``: an option's
    default where the command has one (most have none, so that an option not given is left out);
    ``helps``: where one command words an option's help otherwise (an update's "replaces the list")."""
    made = [
        _option(
            declaration.field(name),
            declaration.partial,
            defaults.get(name, _NO_DEFAULTS),
            helps.get(name, _NO_DEFAULTS),
        )
        for name in names
    ]

    def decorate(func: F) -> F:
        for option in reversed(made):
            func = option(func)
        return func

    return decorate


def given(declaration: Declaration, values: dict[str, Any], *names: str) -> dict[str, Any]:
    """The named fields' values from the command's parameters (taken out of ``values``), leaving out
    the options not given; a file option's value is the file's text."""
    found: dict[str, Any] = {}
    for name in names:
        spec = declaration.field(name)
        value = values.pop(parameter(spec), None)
        if value is None or value == () or (value is False and _is_flag(spec)):
            continue
        if spec.type is list:
            value = list(value)
        if spec.flag is not None and spec.flag.file:
            value = Path(value).read_text()
        found[name] = value
    return found

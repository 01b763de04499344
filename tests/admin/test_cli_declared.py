"""The CLI's create/update options come from the resources' declarations (forcegate.admin_cli.declared):
each declared field has its option, typed and worded as declared, and a field added to a declaration
becomes an option with nothing else to change."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import click
from click.testing import CliRunner
from pydantic import Field

from forcegate.admin_cli.apps import POLICIES, apps_create, apps_update
from forcegate.admin_cli.declared import given, options, parameter
from forcegate.admin_cli.org import org_update
from forcegate.admin_cli.users import users_create, users_update
from forcegate.resources import connected_app, org_settings, user
from forcegate.resources.base import Declaration, Flag, Resource


def _params(command: click.Command) -> dict[str, click.Parameter]:
    return {p.name: p for p in command.params if p.name}


def test_every_declared_field_has_its_option_as_declared() -> None:
    checked = 0
    for command, declaration, names in (
        (apps_create, connected_app.CREATE, ("name", "callback_urls", "scopes", *POLICIES)),
        (apps_update, connected_app.UPDATE, ("is_enabled", *POLICIES)),
        (users_create, user.CREATE, tuple(user.CREATE.model.model_fields)),
        (users_update, user.UPDATE, tuple(user.UPDATE.model.model_fields)),
        (org_update, org_settings.UPDATE, tuple(org_settings.UPDATE.model.model_fields)),
    ):
        params = _params(command)
        for name in names:
            spec = declaration.field(name)
            option = params[parameter(spec)]
            assert isinstance(option, click.Option)
            assert option.help == (spec.flag.help if spec.flag else None), (command.name, name)
            assert option.required == (spec.required and not declaration.partial), (command.name, name)
            if spec.choices:
                assert isinstance(option.type, click.Choice)
                assert tuple(option.type.choices) == spec.choices
            elif spec.type is int:
                assert option.type is click.INT
            if spec.type is list:
                assert option.multiple
            checked += 1
    assert checked >= 49


class _Gadget(Resource):
    """A resource with a field the CLI has never seen."""

    colour: Annotated[Literal["red", "blue"], Field(description="the colour"), Flag(help="Its colour.")] = (
        "red"
    )
    size: Annotated[int, Field(ge=1, description="how big")] = 1
    tags: Annotated[list[str], Field(description="labels"), Flag(("--tag",), name="tags")] = []
    shiny: Annotated[bool, Field(description="polished"), Flag(("--shiny/--dull",))] = False


GADGET = Declaration(_Gadget)


def test_a_field_added_to_a_declaration_becomes_an_option() -> None:
    seen: dict[str, Any] = {}

    @click.command()
    @options(GADGET, *_Gadget.model_fields)
    def make(**values: Any) -> None:
        seen.update(GADGET.validate(given(GADGET, values, *_Gadget.model_fields)))

    result = CliRunner().invoke(
        make, ["--colour", "blue", "--size", "3", "--tag", "a", "--tag", "b", "--dull"]
    )
    assert result.exit_code == 0, result.output
    assert seen == {"colour": "blue", "size": 3, "tags": ["a", "b"], "shiny": False}
    help_text = CliRunner().invoke(make, ["--help"]).output
    assert "Its colour." in help_text and "[red|blue]" in help_text
    refused = CliRunner().invoke(make, ["--colour", "green"])
    assert refused.exit_code == 2

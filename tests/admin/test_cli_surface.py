"""The ``forcegate`` command's surface, pinned: every command path with its help and every parameter
(name, flags, required, multiple, is_flag, envvar, type, default, help), server and client commands
alike. Scripts and muscle memory rely on these names, so a change must be deliberate: regenerate with

    FORCEGATE_UPDATE_GOLDEN=1 pytest tests/admin/test_cli_surface.py

and review the diff of tests/admin/golden/cli_surface.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from forcegate.cli import main
from tests.support.golden import assert_golden

GOLDEN_DIR = Path(__file__).parent / "golden"


def _commands(info: dict[str, Any], path: str) -> dict[str, Any]:
    """Click's info dict flattened to {"apps create": {...}, ...}, subcommands by name."""
    flat = {
        path: {
            "help": info.get("help"),
            "hidden": info.get("hidden"),
            "deprecated": info.get("deprecated"),
            "params": info["params"],
        }
    }
    for name, sub in sorted(info.get("commands", {}).items()):
        flat.update(_commands(sub, f"{path} {name}"))
    return flat


def cli_surface() -> dict[str, Any]:
    info = main.to_info_dict(click.Context(main, info_name="forcegate"))
    # Through JSON, so tuples and lists compare as the file stores them.
    return json.loads(json.dumps(_commands(info, "forcegate"), default=repr))


def test_cli_surface_matches_golden() -> None:
    assert_golden("cli_surface", cli_surface(), directory=GOLDEN_DIR)


def test_every_server_command_that_opens_the_org_takes_database_with_its_environment_variable() -> None:
    without_database = {"forcegate server-key generate", "forcegate tls dev-cert"}
    server = cli_surface()
    from forcegate.admin_cli import main as admin

    server_paths = {f"forcegate {p}" for p in _server_command_paths(admin)}
    checked = 0
    for path in server_paths - without_database:
        (database,) = [p for p in server[path]["params"] if p["name"] == "database"]
        assert database["opts"] == ["--database"]
        assert database["envvar"] == "FORCEGATE_DATABASE_URL"
        checked += 1
    for path in without_database:
        assert all(p["name"] != "database" for p in server[path]["params"])
    assert checked >= 39


def _server_command_paths(group: click.Group, prefix: str = "") -> list[str]:
    paths: list[str] = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            paths.extend(_server_command_paths(command, f"{path} "))
        else:
            paths.append(path)
    return paths

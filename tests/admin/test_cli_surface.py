"""The ``forcegate`` command's surface, pinned: every command path with its help and every parameter
(name, flags, required, multiple, is_flag, envvar, type, default, help), server and client commands
alike. Scripts and muscle memory rely on these names, so a change must be deliberate: regenerate with

    FORCEGATE_UPDATE_GOLDEN=1 pytest tests/admin/test_cli_surface.py

and review the diff of tests/admin/golden/cli_surface.json.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from forcegate.cli import main

GOLDEN = Path(__file__).parent / "golden" / "cli_surface.json"


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
    current = cli_surface()
    if os.environ.get("FORCEGATE_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())

    assert sorted(current) == sorted(golden), "commands added or removed"
    for path in golden:
        assert current[path] == golden[path], path

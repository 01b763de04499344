"""The client recipes of the documentation, read from the pages exactly as printed.

A recipe is the fenced code block right after a line `<!-- recipe: NAME -->` in a page under docs/.
The tests run each one unchanged, so a recipe that stops working fails the suite, not a reader.
"""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"

_MARKER = re.compile(r"^<!-- recipe: (?P<name>[\w.-]+) -->\s*$")
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<language>[\w+-]*)\s*$")


def recipes(page: str | Path) -> dict[str, tuple[str, str]]:
    """Every recipe of a page (a path, or one relative to docs/): name -> (language, code)."""
    path = Path(page)
    if not path.is_absolute() and not path.exists():
        path = DOCS / path
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[str, tuple[str, str]] = {}
    for index, line in enumerate(lines):
        marker = _MARKER.match(line)
        if marker is None:
            continue
        name = marker["name"]
        opening = _FENCE.match(lines[index + 1]) if index + 1 < len(lines) else None
        if opening is None:
            raise ValueError(f"{path}:{index + 1}: recipe {name!r} is not followed by a fenced code block")
        if name in found:
            raise ValueError(f"{path}:{index + 1}: recipe {name!r} appears twice")
        fence = opening["fence"]
        body: list[str] = []
        for line_after in lines[index + 2 :]:
            closing = line_after.strip()
            if len(closing) >= len(fence) and closing == fence[0] * len(closing):
                break
            body.append(line_after)
        else:
            raise ValueError(f"{path}:{index + 1}: recipe {name!r} has no closing fence")
        found[name] = (opening["language"], "\n".join(body) + "\n")
    return found

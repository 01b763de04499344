"""Printing what a server sent to a terminal without letting it drive the terminal (CWE-150).

Record values, field labels, usernames, URLs and error messages come from the server, which may hold
anything a user of the org typed. Printed as they are, ``[/bold]`` would be read as Rich markup (and
crash the table), ``[link=…]`` would hide a hyperlink, and an ESC sequence would move the cursor,
rewrite earlier output, set the window title or open a hyperlink of its own. Every command prints such
text only through :func:`shown` (Rich output) or :func:`printable` (plain output).
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.text import Text

__all__ = ["printable", "shown"]

# C0 controls but tab and newline (ESC, CR, BEL, backspace…), DEL, C1 controls (CSI, OSC…), and the
# Unicode bidirectional controls that reorder what is seen ("Trojan Source", CVE-2021-42574).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: Any) -> str:
    """The value as text with every unsafe character written as an escape (``\\x1b``, ``\\u202e``):
    visible, and inert. None is empty; lists and objects are JSON."""
    if value is None:
        return ""
    text = json.dumps(value) if isinstance(value, list | dict) else str(value)
    return _UNSAFE.sub(_escape, text)


def shown(value: Any, style: str = "") -> Text:
    """The value for a Rich table cell, title or message: :func:`printable`, and never read as markup."""
    return Text(printable(value), style=style)

"""How forcegate writes its log: one record, one line, whatever a caller sent.

Values forcegate logs come from callers — a SOAP namespace, a request path, a refusal's reason — and a
line break in one of them would start a line of the attacker's choosing (log injection, OWASP ASVS
4.0.3 V7.3.1 / CWE-117). Rather than trust every call site to escape what it logs, the formatter
``forcegate serve`` installs escapes every control character in the message once: ``\\n`` becomes the
two characters ``\\`` ``n``, an ESC ``\\x1b``, U+2028 ``\\u2028``. Tracebacks, which forcegate itself
writes, keep their lines.
"""

from __future__ import annotations

import logging
import re
from typing import TextIO

__all__ = ["FORMAT", "EscapingFormatter", "configure", "escape_controls", "handler"]

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def escape_controls(text: str) -> str:
    """``text`` with every control character written as an escape sequence."""
    return _CONTROLS.sub(_escaped, text)


class EscapingFormatter(logging.Formatter):
    """A ``logging.Formatter`` whose messages cannot break a line (see the module docstring)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        message = record.message
        record.message = escape_controls(message)
        try:
            return super().formatMessage(record)
        finally:
            record.message = message  # other handlers see the record as it was


def handler(stream: TextIO | None = None) -> logging.Handler:
    """A stream handler (stderr by default) with forcegate's format."""
    made = logging.StreamHandler(stream)
    made.setFormatter(EscapingFormatter(FORMAT))
    return made


def configure(level: str) -> None:
    """The process's logging for ``forcegate serve`` and the admin CLI."""
    logging.basicConfig(level=level.upper(), handlers=[handler()])

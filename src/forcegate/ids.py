"""Salesforce record IDs.

A record ID is 15 case-sensitive base-62 characters whose first three are the key prefix of its
object type; the 18-character form appends a 3-letter checksum that encodes where the upper-case
letters are, so the ID survives case-insensitive systems. We store the 18-character form and accept
either form (in any case, for the 18-character one) wherever an ID is read.
"""

from __future__ import annotations

import secrets
import string

__all__ = ["InvalidId", "KeyPrefix", "new_id", "normalize_id", "to15", "to18"]

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


class KeyPrefix:
    """Key prefixes as Salesforce uses them (the first three characters of an ID)."""

    ORGANIZATION = "00D"
    USER = "005"
    PROFILE = "00e"
    PERMISSION_SET = "0PS"
    PERMISSION_SET_ASSIGNMENT = "0Pa"
    CONNECTED_APP = "0H4"
    LOGIN_HISTORY = "0Ya"
    SETUP_AUDIT_TRAIL = "0Ym"
    OAUTH_TOKEN = "0CQ"  # Salesforce's OauthToken object: one row per user/app authorization


class InvalidId(ValueError):
    """Raised for a string that is not a well-formed 15- or 18-character record ID."""


def _checksum(id15: str) -> str:
    out = []
    for chunk in range(3):
        bits = 0
        for position in range(5):
            if "A" <= id15[chunk * 5 + position] <= "Z":
                bits |= 1 << position
        out.append(_CHECKSUM_ALPHABET[bits])
    return "".join(out)


def to18(id15: str) -> str:
    """The case-safe 18-character form of a 15-character ID."""
    if len(id15) != 15 or any(c not in _BASE62 for c in id15):
        raise InvalidId(id15)
    return id15 + _checksum(id15)


def to15(record_id: str) -> str:
    """The case-sensitive 15-character form of an ID given in either form."""
    return normalize_id(record_id)[:15]


def normalize_id(record_id: str, prefix: str | None = None) -> str:
    """Return the canonical 18-character ID for ``record_id`` given in either form.

    An 18-character ID is case-insensitive: its suffix says which of the first 15 characters
    are upper case, so we restore their case from it and then check the result round-trips.
    """
    if len(record_id) == 15:
        canonical = to18(record_id)
    elif len(record_id) == 18:
        suffix = record_id[15:].upper()
        if any(c not in _CHECKSUM_ALPHABET for c in suffix):
            raise InvalidId(record_id)
        chars = list(record_id[:15])
        for chunk, letter in enumerate(suffix):
            bits = _CHECKSUM_ALPHABET.index(letter)
            for position in range(5):
                i = chunk * 5 + position
                chars[i] = chars[i].upper() if bits & (1 << position) else chars[i].lower()
        canonical = to18("".join(chars))
        if canonical[15:] != suffix:
            raise InvalidId(record_id)
    else:
        raise InvalidId(record_id)
    if prefix is not None and not canonical.startswith(prefix):
        raise InvalidId(record_id)
    return canonical


def new_id(prefix: str) -> str:
    """A fresh random 18-character ID with the given key prefix."""
    # One draw of random bits, spelled in base 62 (a choice() per character cost ~40 µs per ID).
    # 62**12 < 2**72, so 80 bits leave a bias below 2**-8 on the top digit only: IDs are not secrets.
    number = secrets.randbits(80)
    digits = []
    for _ in range(15 - len(prefix)):
        number, digit = divmod(number, 62)
        digits.append(_BASE62[digit])
    return to18(prefix + "".join(digits))

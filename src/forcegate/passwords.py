"""argon2id password hashing (argon2-cffi), cost configurable so tests can run cheap.

Beside :mod:`forcegate.secrets_box` (token hashes, encrypted consumer secrets): the at-rest forms of
secrets live together, below every service that uses them, and import nothing of forcegate, so the
per-process :class:`~forcegate.context.Context` can build one without depending on ``org``.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["Passwords"]


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # Verified against when the username does not exist, so an unknown user costs the same time
        # as a wrong password and the answer's timing reveals nothing.
        self._dummy_hash = self._hasher.hash("forcegate-timing-equaliser")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return (
                self._hasher.verify(password_hash or self._dummy_hash, password) and password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

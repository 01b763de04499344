"""Everything a request or a command needs, built once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from forcegate.clock import Clock, SystemClock
from forcegate.config import Settings
from forcegate.keys import KeyRing
from forcegate.passwords import Passwords
from forcegate.secrets_box import SecretBox, load_or_create_server_keys
from forcegate.storage.db import Database

__all__ = ["Context"]


@dataclass
class Context:
    settings: Settings
    db: Database
    box: SecretBox
    passwords: Passwords
    clock: Clock = field(default_factory=SystemClock)
    # Signing keys (id_tokens, JWT access tokens), parsed once per process.
    keys: KeyRing = field(init=False)

    def __post_init__(self) -> None:
        self.keys = KeyRing(self.db, self.box, self.clock, self.settings.signing_key_refresh_seconds)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Context:
        keys = load_or_create_server_keys(settings.server_keys, settings.server_key_file)
        return cls(
            settings=settings,
            db=Database(settings.database_url),
            box=SecretBox(keys),
            passwords=Passwords(
                settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
            ),
            clock=clock or SystemClock(),
        )

    def now_ms(self) -> int:
        return self.clock.now_ms()

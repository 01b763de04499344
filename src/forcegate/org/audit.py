"""The Setup Audit Trail: who changed the org's configuration, when, from where and through which
channel (Setup in the browser, the admin API, the CLI)."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Literal

from forcegate.domain import User

__all__ = ["Actor", "Channel"]

Channel = Literal["console", "admin_api", "cli", "system"]


@dataclass(frozen=True)
class Actor:
    """Who makes an administrative change, as the audit trail shows it."""

    channel: Channel
    user_id: str | None = None
    username: str | None = None
    source_ip: str | None = None

    @classmethod
    def console(cls, user: User, ip: str) -> Actor:
        return cls("console", user.id, user.username, ip)

    @classmethod
    def admin_api(cls, user: User, ip: str) -> Actor:
        return cls("admin_api", user.id, user.username, ip)

    @classmethod
    def cli(cls) -> Actor:
        return cls("cli", None, f"cli:{getpass.getuser()}")

    @classmethod
    def system(cls, why: str) -> Actor:
        return cls("system", None, f"system ({why})")

"""The demo org's credentials (``forcegate serve --demo``), kept so ``forcegate demo show`` can print
them again: the admin's password encrypted under the server key (``users`` holds only its hash); the
demo app's secret is read from the app itself."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from forcegate.storage.schema import demo_credentials

__all__ = ["DemoCredentials", "all_encrypted_passwords", "load", "save", "set_encrypted_password"]


@dataclass(frozen=True)
class DemoCredentials:
    org_id: str
    admin_user_id: str
    admin_password_encrypted: str
    app_id: str | None  # None once the demo app is deleted


def save(conn: Connection, credentials: DemoCredentials, now_ms: int) -> None:
    conn.execute(
        insert(demo_credentials).values(
            org_id=credentials.org_id,
            admin_user_id=credentials.admin_user_id,
            admin_password_encrypted=credentials.admin_password_encrypted,
            app_id=credentials.app_id,
            created_ms=now_ms,
        )
    )


def load(conn: Connection, org_id: str) -> DemoCredentials | None:
    row = conn.execute(
        select(
            demo_credentials.c.org_id,
            demo_credentials.c.admin_user_id,
            demo_credentials.c.admin_password_encrypted,
            demo_credentials.c.app_id,
        ).where(demo_credentials.c.org_id == org_id)
    ).one_or_none()
    return DemoCredentials(*row) if row is not None else None


def all_encrypted_passwords(conn: Connection) -> list[tuple[str, str]]:
    """(org id, encrypted password) of every demo, for re-encryption under a new server key."""
    rows = conn.execute(select(demo_credentials.c.org_id, demo_credentials.c.admin_password_encrypted))
    return [(org_id, encrypted) for org_id, encrypted in rows]


def set_encrypted_password(conn: Connection, org_id: str, encrypted: str) -> None:
    conn.execute(
        update(demo_credentials)
        .where(demo_credentials.c.org_id == org_id)
        .values(admin_password_encrypted=encrypted)
    )

"""Run Alembic migrations programmatically (``forcegate db upgrade``, ``make serve``, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from forcegate.storage.db import Database

__all__ = ["alembic_config", "has_schema", "upgrade"]

_HERE = Path(__file__).parent


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE / "migrations"))
    config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    command.upgrade(alembic_config(database), revision)


def has_schema(url: str) -> bool:
    """Whether the database exists and has been migrated at least once, found without creating it
    (connecting to a missing SQLite file would create an empty one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
        return False
    database = Database(url)
    try:
        with database.read() as conn:
            return inspect(conn).has_table("alembic_version")
    finally:
        database.dispose()

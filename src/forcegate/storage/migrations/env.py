"""Alembic environment: migrations run on the engine the caller hands over (see migrate.py)."""

from __future__ import annotations

from alembic import context

from forcegate.storage.schema import metadata

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()

"""A stored connection brought back to life: its :class:`TokenManager` persists every renewal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from forcegate.client.errors import LoginError
from forcegate.client.session import Session
from forcegate.client.store import StoredConnection, TokenStore
from forcegate.client.tokens import TokenManager

__all__ = ["manager_for"]


def manager_for(record: StoredConnection, store: TokenStore) -> TokenManager:
    """Renewals are written to ``store`` before they are used, after a look at the store in case
    another process renewed first (under the store's lock, where it has one). Connections from flows without a
    refresh token renew by running their flow again when they can do so unattended (JWT bearer with
    its key file, client credentials)."""
    if record.session is None:
        raise LoginError(f"{record.alias} has no session (logged out): log in again")
    connection = record.connection()

    def persist(session: Session) -> None:
        record.session = session
        store.save(record)

    def reload() -> Session | None:
        stored = store.get(record.alias)
        return stored.session if stored is not None else None

    relogin: Callable[[], Session] | None = None
    if record.flow == "jwt" and record.jwt_key_file and record.username:
        username, key_file = record.username, Path(record.jwt_key_file)
        relogin = lambda: connection.jwt_login(username, key_file)  # noqa: E731
    elif record.flow == "client-credentials" and record.consumer_secret:
        relogin = connection.client_credentials_login
    return TokenManager(
        connection,
        record.session,
        on_refresh=persist,
        relogin=relogin,
        reload=reload,
        renewal_lock=getattr(store, "lock", None),
    )

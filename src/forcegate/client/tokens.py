"""Token management: one current session, refreshed once however many threads or tasks need it.

Rules (issue 6, "Rotation-safe"):

- refresh before expiry (``leeway`` seconds ahead) and when the server says the session is invalid
  (401 ``INVALID_SESSION_ID``), then retry once;
- one refresh at a time: callers that lost the race find the token already replaced and use it;
- a rotated refresh token is persisted (``on_refresh``) *before* the new access token is used, so a
  crash between the two never leaves the only valid refresh token in memory;
- a refused refresh token is reported (:class:`RefreshTokenRejected`) and remembered: later calls
  fail at once instead of asking the server again and again;
- other processes sharing the connection (two commands run at once): with ``reload`` the manager
  first adopts a session another process already renewed and stored, and with ``renewal_lock`` (the
  file store's lock) no two processes refresh at once, so none presents a refresh token that another
  has just rotated away, which the server would punish by revoking the whole family.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import httpx

from forcegate.client.connection import Connection
from forcegate.client.errors import ClientError, LoginError, RefreshTokenRejected
from forcegate.client.session import Session

__all__ = ["TokenManager"]

log = logging.getLogger("forcegate.client")
DEFAULT_LEEWAY = 60.0


class TokenManager:
    """Holds the current :class:`Session` of a connection and renews it.

    Renewal uses the refresh token when there is one; otherwise ``relogin`` (for flows that issue no
    refresh token, such as JWT bearer or client credentials, which can simply run again). Without
    either, an expired session raises :class:`LoginError`.

    Threads share one lock and event loops one asyncio lock each; use a manager from threads or from
    one event loop, not from both at once."""

    def __init__(
        self,
        connection: Connection,
        session: Session,
        *,
        on_refresh: Callable[[Session], object] | None = None,
        relogin: Callable[[], Session] | None = None,
        reload: Callable[[], Session | None] | None = None,
        renewal_lock: Callable[[], AbstractContextManager[Any]] | None = None,
        leeway: float = DEFAULT_LEEWAY,
    ) -> None:
        self.connection = connection
        self._session = session
        self.on_refresh = on_refresh
        self.relogin = relogin
        self.reload = reload
        self.renewal_lock = renewal_lock
        self.leeway = leeway
        self.refresh_count = 0
        self.rotation_seen = False
        self._dead: ClientError | None = None
        self._lock = threading.Lock()
        self._async_locks: dict[int, asyncio.Lock] = {}

    @property
    def session(self) -> Session:
        return self._session

    @property
    def can_renew(self) -> bool:
        return bool(self._session.refresh_token) or self.relogin is not None

    def _needs_renewal(self, rejected: str | None) -> bool:
        if rejected is not None:
            # Someone already replaced the token the server rejected: nothing to do.
            return rejected == self._session.access_token
        return self._session.expires_within(self.connection.clock(), self.leeway)

    def _install(self, new: Session) -> Session:
        old = self._session
        if new.refresh_token and new.refresh_token != old.refresh_token and old.refresh_token:
            self.rotation_seen = True
        if self.on_refresh is not None:
            # Persist first: if this raises, the new tokens are not used.
            self.on_refresh(new)
        self._session = new
        self.refresh_count += 1
        log.debug("session renewed for %s (renewal %d)", new.instance_url, self.refresh_count)
        return new

    def _adopt_stored(self, stored: Session | None) -> None:
        """Take a newer session that another process renewed and stored."""
        current = self._session
        if (
            stored is not None
            and stored.access_token != current.access_token
            and stored.issued_at_ms >= current.issued_at_ms
        ):
            log.debug("session for %s renewed elsewhere: adopted", stored.instance_url)
            self._session = stored
            self._dead = None  # a new login elsewhere revives a connection whose refresh token died

    def _cross_process(self) -> AbstractContextManager[Any]:
        return self.renewal_lock() if self.renewal_lock is not None else nullcontext()

    def _renew_sync(self) -> Session:
        if self._dead is not None:
            raise self._dead
        refresh_token = self._session.refresh_token
        try:
            if refresh_token:
                new = self.connection.refresh(refresh_token, rotation_seen=self.rotation_seen)
            elif self.relogin is not None:
                new = self.relogin()
            else:
                raise LoginError("the session expired and there is no refresh token: log in again")
        except RefreshTokenRejected as error:
            self._dead = error
            raise
        return self._install(new)

    def current(self, *, rejected: str | None = None) -> Session:
        """The session to use now: renewed first if it is about to expire, or if ``rejected`` (the
        access token the server just refused) is still the current one."""
        if not self._needs_renewal(rejected) or not self.can_renew:
            return self._session
        with self._lock, self._cross_process():
            if self.reload is not None:
                self._adopt_stored(self.reload())
            if not self._needs_renewal(rejected):
                return self._session
            if self._dead is not None and rejected is None:
                return self._session  # our expiry is an estimate: let the server decide
            return self._renew_sync()

    def force_refresh(self) -> Session:
        with self._lock, self._cross_process():
            if self.reload is not None:
                self._adopt_stored(self.reload())
            return self._renew_sync()

    # --- async --------------------------------------------------------------------------------------

    def _async_lock(self) -> asyncio.Lock:
        loop_id = id(asyncio.get_running_loop())
        lock = self._async_locks.get(loop_id)
        if lock is None:
            lock = self._async_locks[loop_id] = asyncio.Lock()
        return lock

    async def acurrent(self, *, rejected: str | None = None) -> Session:
        """:meth:`current` for asyncio: one refresh per event loop at a time, without blocking it."""
        if not self._needs_renewal(rejected) or not self.can_renew:
            return self._session
        async with self._async_lock():
            if self.reload is not None:
                # No cross-process lock here: blocking on a file lock would stall the event loop.
                self._adopt_stored(await asyncio.to_thread(self.reload))
            if not self._needs_renewal(rejected):
                return self._session
            if self._dead is not None:
                if rejected is None:
                    return self._session
                raise self._dead
            refresh_token = self._session.refresh_token
            if refresh_token:
                try:
                    async with httpx.AsyncClient(timeout=self.connection.timeout) as http:
                        new = await self.connection.arefresh(
                            refresh_token, http, rotation_seen=self.rotation_seen
                        )
                except RefreshTokenRejected as error:
                    self._dead = error
                    raise
            else:
                # relogin is synchronous (JWT signing, a token call): run it off the event loop.
                assert self.relogin is not None
                new = await asyncio.to_thread(self.relogin)
            with self._lock:
                return self._install(new)

"""Device flow pages and the RFC 8628 device authorization endpoint (in progress)."""

from __future__ import annotations

from starlette.routing import Route

__all__ = ["ROUTES"]

ROUTES: list[Route] = []

"""SOAP login() and logout() at /services/Soap/u/NN.0 (in progress)."""

from __future__ import annotations

from starlette.routing import Route

__all__ = ["ROUTES"]

ROUTES: list[Route] = []

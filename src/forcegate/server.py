"""How forcegate runs under uvicorn, in one place for ``forcegate serve``, tests and benchmarks."""

from __future__ import annotations

from typing import Any

import uvicorn

__all__ = ["uvicorn_config"]


def uvicorn_config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn settings forcegate relies on.

    ``proxy_headers`` is off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1; the
    client IP is decided by forcegate's own trusted-proxy list (``FORCEGATE_TRUSTED_PROXIES``).
    The access log is forcegate's, which never prints query strings (they can carry tokens).
    """
    return uvicorn.Config(app, proxy_headers=False, access_log=False, server_header=False, **options)

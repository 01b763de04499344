"""Callback (redirect) URL rules for connected apps.

At registration a callback must be https, http on a loopback host, or a custom scheme for native
apps; at authorization it must equal a registered one exactly, character for character.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["InvalidCallbackUrl", "validate_callback_url"]

_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Schemes that would make a "custom scheme" callback run script or read local files.
_FORBIDDEN_SCHEMES = {"javascript", "data", "file", "vbscript", "about", "blob", "ftp", "ws", "wss"}


class InvalidCallbackUrl(ValueError):
    pass


def validate_callback_url(url: str) -> str:
    if not url or url != url.strip() or any(c.isspace() for c in url):
        raise InvalidCallbackUrl(f"callback URL must not be empty or contain spaces: {url!r}")
    if len(url) > 1024:
        raise InvalidCallbackUrl("callback URL is longer than 1024 characters")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise InvalidCallbackUrl(f"malformed callback URL: {url!r}") from exc
    del port
    scheme = parts.scheme.lower()
    if not scheme:
        raise InvalidCallbackUrl(f"callback URL needs a scheme: {url!r}")
    if parts.fragment:
        raise InvalidCallbackUrl("callback URL must not contain a fragment")
    if scheme == "https":
        if not parts.hostname:
            raise InvalidCallbackUrl(f"https callback URL needs a host: {url!r}")
        return url
    if scheme == "http":
        if (parts.hostname or "").lower() not in _LOOPBACK_HOSTS:
            raise InvalidCallbackUrl(
                "http callback URLs are allowed only on a loopback host "
                f"(localhost, 127.0.0.1, [::1]): {url!r}"
            )
        return url
    if scheme in _FORBIDDEN_SCHEMES:
        raise InvalidCallbackUrl(f"callback URL scheme {scheme!r} is not allowed")
    # A custom scheme for a native app, e.g. com.example.app:/oauth or myapp://callback.
    if "." not in scheme and not parts.netloc and not parts.path:
        raise InvalidCallbackUrl(f"malformed custom-scheme callback URL: {url!r}")
    return url

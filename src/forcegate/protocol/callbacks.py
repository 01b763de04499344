"""Callback (redirect) URL rules for connected apps.

At registration a callback must be https, http on a loopback host, or a custom scheme for native
apps; at authorization it must equal a registered one exactly, character for character.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["SUCCESS_PAGE_PATH", "InvalidCallbackUrl", "may_receive_refresh_token", "validate_callback_url"]

_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Schemes that would make a "custom scheme" callback run script or read local files.
_FORBIDDEN_SCHEMES = {"javascript", "data", "file", "vbscript", "about", "blob", "ftp", "ws", "wss"}


# Salesforce's own landing page for user-agent logins of apps that have no web page of their own.
SUCCESS_PAGE_PATH = "/services/oauth2/success"


class InvalidCallbackUrl(ValueError):
    pass


def may_receive_refresh_token(redirect_uri: str, login_origins: tuple[str, ...]) -> bool:
    """Whether the User-Agent flow may put a refresh token in this callback's fragment.

    Salesforce's rule (OAuth 2.0 User-Agent Flow, "refresh_token" in the redirect): only for a callback
    with a custom scheme (a native app, which keeps the fragment to itself) or for the login server's own
    ``/services/oauth2/success`` page (which the app reads from its embedded browser). An http(s) page
    of a web site never gets one: its fragment is readable by every script on that page (RFC 6749
    §4.2.2, RFC 9700 §2.1.2).
    """
    parts = urlsplit(redirect_uri)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return True
    origin = f"{scheme}://{parts.netloc.lower()}"
    return parts.path == SUCCESS_PAGE_PATH and origin in {o.lower().rstrip("/") for o in login_origins}


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
    if "#" in url:  # RFC 6749 §3.1.2: no fragment, an empty one (a bare "#") included
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

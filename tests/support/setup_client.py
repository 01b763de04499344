"""Setup over plain HTTP, as a browser without JavaScript: a logged-in client, the session's CSRF
token, and what a page shows (a checkbox's state, an element's text)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape

import httpx

from forcegate.domain import User
from tests.support.browser import log_in_to_setup, setup_csrf_token
from tests.support.server import PASSWORD, Server

__all__ = ["checked", "csrf_of", "element_text", "logged_in", "post"]


@contextmanager
def logged_in(server: Server, user: User, password: str = PASSWORD) -> Iterator[httpx.Client]:
    """A client holding a Setup session of ``user`` (``browser.setup_session`` makes a new user)."""
    with server.client() as client:
        answer = log_in_to_setup(client, user.username, password)
        assert answer.status_code == 302, answer.text
        yield client


def csrf_of(client: httpx.Client) -> str:
    """The CSRF token of the session's Setup forms."""
    return setup_csrf_token(client.get("/setup"))


def post(client: httpx.Client, path: str, data: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
    """Post a Setup form with the session's CSRF token."""
    pairs = list(data.items()) if isinstance(data, dict) else list(data)
    body: dict[str, list[str]] = {}
    for name, value in [*pairs, ("csrf_token", csrf_of(client))]:
        body.setdefault(name, []).append(value)
    return client.post(path, data=body)


def checked(html: str, name: str) -> bool:
    """Whether the page's checkbox ``name`` is checked (it must be on the page)."""
    (tag,) = [t for t in re.findall(r"<input\b[^>]*>", html) if f'name="{name}"' in t]
    return re.search(r"\schecked\b", tag) is not None


def element_text(html: str, element_id: str) -> str:
    """The text of the element with this id (no nested element of the same tag)."""
    found = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', html, re.DOTALL)
    assert found is not None, element_id
    return unescape(re.sub(r"<[^>]+>", "", found.group(2))).strip()

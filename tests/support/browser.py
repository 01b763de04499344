"""Drive the login and consent pages like a browser without JavaScript: read the forms, post them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.support.server import PASSWORD, Server


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "action": a.get("action", ""),
                    "method": a.get("method", "get").lower(),
                    "fields": {},
                    "buttons": [],
                }
            )
        elif self.forms and tag == "input" and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")  # type: ignore[index]
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1]["buttons"].append((a["name"], a.get("value", "")))  # type: ignore[union-attr]


def forms(html: str) -> list[dict[str, object]]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


@dataclass
class Outcome:
    """Where the browser ended: a redirect back to the client, or a page."""

    response: httpx.Response
    pages: list[str] = field(default_factory=list)

    @property
    def location(self) -> str:
        return self.response.headers["location"]

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.location).query).items()}


def authorize_url(params: dict[str, str]) -> str:
    return "/services/oauth2/authorize?" + urlencode(params)


def submit(client: httpx.Client, page: httpx.Response, **fields: str) -> httpx.Response:
    form = forms(page.text)[0]
    data = dict(form["fields"])  # type: ignore[arg-type]
    data.update(fields)
    return client.post(str(form["action"]), data=data)


def authorize(
    client: httpx.Client,
    params: dict[str, str],
    username: str | None,
    password: str | None,
    decision: str | None = "allow",
) -> Outcome:
    """GET authorize; log in if asked; answer consent if asked; stop at the redirect (or a page)."""
    pages: list[str] = []
    response = client.get(authorize_url(params))
    if response.status_code == 200 and 'name="password"' in response.text and username is not None:
        pages.append("login")
        response = submit(client, response, username=username, password=password or "")
    if response.status_code == 200 and 'name="decision"' in response.text and decision is not None:
        pages.append("consent")
        response = submit(client, response, decision=decision)
    return Outcome(response, pages)


def log_in_to_setup(client: httpx.Client, username: str, password: str) -> httpx.Response:
    """Open the Setup login page and submit it; the answer to the POST."""
    page = client.get("/setup/login")
    assert page.status_code == 200
    assert forms(page.text)[0]["action"] == "/setup/login"
    return submit(client, page, username=username, password=password)


def setup_csrf_token(page: httpx.Response) -> str:
    """The CSRF token of a Setup page's session, as its Log Out form carries it."""
    (logout,) = [f for f in forms(page.text) if f["action"] == "/setup/logout"]
    return str(logout["fields"]["csrf_token"])  # type: ignore[index]


@contextmanager
def setup_session(server: Server, profile: str = "System Administrator") -> Iterator[httpx.Client]:
    """A browser (without JavaScript) logged in to Setup as a new user of ``profile``."""
    user = server.create_user(profile=profile)
    with server.client() as client:
        assert log_in_to_setup(client, user.username, PASSWORD).status_code == 302
        yield client

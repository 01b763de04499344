"""The golden tests' own org content: users and apps with fixed names, made once per backend.

Fixed names (``golden-*``, no other test uses the prefix) keep the usernames and names that a
response shows the same on every run, whatever ran before; the values that cannot be fixed (IDs,
keys, secrets) are normalised by ``tests.support.golden``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from forcegate.domain import ConnectedApp, User
from forcegate.org import users
from tests.support.actors import FIXTURE
from tests.support.golden import Normaliser
from tests.support.server import PASSWORD, Server

GOLDEN_CALLBACK = "http://localhost:1717/OauthRedirect"


@dataclass
class GoldenOrg:
    """The golden tests' users and apps on one backend's server, created on first use."""

    server: Server
    _users: dict[str, tuple[User, str]] = field(default_factory=dict)
    _apps: dict[str, tuple[ConnectedApp, str]] = field(default_factory=dict)
    # What each was made with: every use must ask for the same, or the first test to run would decide.
    _made_with: dict[str, object] = field(default_factory=dict)

    def _same_as_before(self, key: str, spec: object) -> None:
        before = self._made_with.setdefault(key, spec)
        assert before == spec, (
            f"{key} is made with {before}, not {spec}: golden files would depend on test order"
        )

    def user(self, name: str = "user", profile: str = "Standard User") -> User:
        """``golden-<name>@golden.example.com``, first name Golden, last name the name."""
        self._same_as_before(f"user {name}", profile)
        if name not in self._users:
            with self.server.ctx.db.write() as conn:
                self._users[name] = users.create_user(
                    self.server.ctx,
                    conn,
                    self.server.org_id,
                    username=f"golden-{name}@golden.example.com",
                    password=PASSWORD,
                    profile=profile,
                    first_name="Golden",
                    last_name=name.capitalize(),
                    actor=FIXTURE,
                )
        return self._users[name][0]

    def app(self, name: str, **options: Any) -> tuple[ConnectedApp, str]:
        """The connected app ``golden-<name>`` and its secret."""
        self._same_as_before(f"app {name}", options)
        if name not in self._apps:
            values: dict[str, Any] = {
                "name": f"golden-{name}",
                "callback_urls": [GOLDEN_CALLBACK],
                "scopes": "api refresh_token openid web id",
                **options,
            }
            self._apps[name] = self.server.create_app(**values)
        return self._apps[name]

    def token(
        self, app_name: str, user_name: str = "user", profile: str = "Standard User", scopes: str = "api"
    ) -> str:
        """An access token for ``golden-<user_name>`` from app ``golden-<app_name>`` by the client
        credentials flow (no browser needed)."""
        runner = self.user(user_name, profile=profile)
        app, secret = self.app(
            app_name, client_credentials_enabled=True, client_credentials_user=runner.username, scopes=scopes
        )
        with self.server.client() as client:
            response = client.post(
                "/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": app.consumer_key,
                    "client_secret": secret,
                },
            )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def admin_token(self) -> str:
        """golden-admin's (System Administrator) token for the data and admin APIs."""
        return self.token("data", "admin", "System Administrator")

    def profile(self, name: str, **permissions: Any) -> str:
        """The custom profile ``golden-<name>`` with ``permissions`` (admin API body), made over the
        admin API once; its name."""
        full = f"golden-{name}"
        self._same_as_before(f"profile {name}", permissions)
        profiles = "/admin/api/v1/profiles"
        with self.server.client(headers={"Authorization": f"Bearer {self.admin_token()}"}) as admin:
            if admin.get(f"{profiles}/{full}").status_code == 404:
                created = admin.post(profiles, json={"name": full, **permissions})
                assert created.status_code == 201, created.text
        return full

    def normaliser(self, **known: str) -> Normaliser:
        """A normaliser that also knows every golden app's consumer key and secret by name."""
        values: dict[str, str] = {}
        for app, secret in self._apps.values():
            values[app.consumer_key] = "<consumer-key>"
            values[secret] = "<consumer-secret>"
        values.update({value: f"<{name.replace('_', '-')}>" for name, value in known.items()})
        normaliser = Normaliser(self.server.url, values)
        normaliser.remember_ids(self.server.org_id)
        return normaliser


@pytest.fixture(scope="session")
def golden_org(server: Server) -> GoldenOrg:
    return GoldenOrg(server)

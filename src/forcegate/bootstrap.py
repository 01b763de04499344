"""A new org: the org record, its standard profiles and Salesforce's built-in PlatformCLI app; and,
for ``make serve`` on an empty database, a demo admin user and a demo connected app.

Start-up wiring, so above ``org/`` and ``data/`` (the layers in pyproject.toml): it calls the org's
services and installs the data layer's standard objects; only the web application and the commands
call it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.data.metadata import install_standard_objects
from forcegate.data.seed import seed_demo
from forcegate.domain import Org
from forcegate.org.audit import Actor
from forcegate.org.connected_apps import PLATFORM_CLI, create_app
from forcegate.org.permissions import ensure_standard_profiles
from forcegate.org.users import SYSTEM_ADMINISTRATOR, create_user
from forcegate.storage import demo_credentials
from forcegate.storage import repositories as repo
from forcegate.storage.demo_credentials import DemoCredentials

__all__ = ["DemoOrg", "ensure_demo", "ensure_org", "stored_demo"]

DEMO_CALLBACK = "http://localhost:1717/OauthRedirect"
DEMO_SCOPES = "api refresh_token openid"


def ensure_org(ctx: Context, conn: Connection) -> Org:
    """The deployment's org, created with its standard records on first use."""
    org = repo.first_org(conn)
    if org is not None:
        install_standard_objects(conn, org.id, ctx.now_ms())
        return org
    now = ctx.now_ms()
    org = repo.insert_org(conn, name="forcegate", instance_name="FG1", now_ms=now)
    ensure_standard_profiles(ctx, conn, org.id)
    create_app(
        ctx,
        conn,
        org.id,
        name=PLATFORM_CLI["name"],
        consumer_key=PLATFORM_CLI["consumer_key"],
        callback_urls=PLATFORM_CLI["callback_urls"],
        scopes=PLATFORM_CLI["scopes"],
        require_secret_for_web_server=PLATFORM_CLI["require_secret_for_web_server"],
        require_pkce=PLATFORM_CLI["require_pkce"],
        actor=Actor.system("new org"),
    )
    install_standard_objects(conn, org.id, now)
    return org


@dataclass(frozen=True)
class DemoOrg:
    org_id: str
    admin_username: str
    admin_password: str
    consumer_key: str | None  # the key and secret are None once the demo app is deleted
    consumer_secret: str | None
    # The admin has since changed the password: ``admin_password`` is the one the demo was created with.
    admin_password_changed: bool = False


def ensure_demo(ctx: Context, conn: Connection) -> DemoOrg | None:
    """On a database with no users, create the demo admin and app; None when the org already has users."""
    org = ensure_org(ctx, conn)
    if repo.count_users(conn) > 0:
        return None
    password = "Demo-" + secrets.token_urlsafe(12) + "1"
    admin, _ = create_user(
        ctx,
        conn,
        org.id,
        username="admin@forcegate.demo",
        password=password,
        profile=SYSTEM_ADMINISTRATOR,
        first_name="Ada",
        last_name="Admin",
        actor=Actor.system("demo org"),
    )
    seed_demo(conn, org.id, admin.id, ctx.now_ms())
    app, secret = create_app(
        ctx, conn, org.id, name="Demo App", callback_urls=[DEMO_CALLBACK], scopes=DEMO_SCOPES,
        actor=Actor.system("demo org"),
    )  # fmt: skip
    stored = DemoCredentials(org.id, admin.id, ctx.box.encrypt(password), app.id)
    demo_credentials.save(conn, stored, ctx.now_ms())
    return DemoOrg(org.id, admin.username, password, app.consumer_key, secret)


def stored_demo(ctx: Context, conn: Connection, org_id: str) -> DemoOrg | None:
    """The demo ``ensure_demo`` created, read back from its encrypted copy; None if there was none."""
    stored = demo_credentials.load(conn, org_id)
    if stored is None:
        return None
    admin = repo.user_by_id(conn, stored.admin_user_id)
    assert admin is not None  # the row goes with the user
    password = ctx.box.decrypt(stored.admin_password_encrypted)
    app = repo.app_by_id(conn, stored.app_id) if stored.app_id else None
    return DemoOrg(
        org_id,
        admin.username,
        password,
        app.consumer_key if app else None,
        ctx.box.decrypt(app.consumer_secret_encrypted) if app else None,
        admin_password_changed=not ctx.passwords.verify(admin.password_hash, password),
    )

"""Profiles and permission sets as the admin API and the CLI define them, and the standard profiles
every org has (org/permissions.py, migration 0006)."""

from __future__ import annotations

import secrets

import httpx
import pytest
import sqlalchemy as sa

from forcegate.config import Settings
from forcegate.context import Context
from forcegate.data import metadata
from forcegate.org.permissions import load_user_access
from forcegate.storage import repositories as repo
from forcegate.storage.migrate import upgrade
from tests.support.data_api import admin_client, bearer, error_of, token_for
from tests.support.server import Server, make_settings

API = "/admin/api/v1"
NO_OBJECT = {
    "read": False,
    "create": False,
    "edit": False,
    "delete": False,
    "view_all": False,
    "modify_all": False,
}


@pytest.fixture
def admin(server: Server) -> httpx.Client:
    return admin_client(server)


def test_when_org_created_then_standard_profiles_grant_what_salesforce_grants(
    server: Server, admin: httpx.Client
) -> None:
    profiles = {p["name"]: p for p in admin.get(f"{API}/profiles").json()}
    system = profiles["System Administrator"]
    assert (system["api_enabled"], system["view_all_data"], system["modify_all_data"]) == (True, True, True)
    standard = profiles["Standard User"]
    assert (standard["api_enabled"], standard["view_all_data"], standard["modify_all_data"]) == (
        True,
        False,
        False,
    )
    crud = {
        "read": True,
        "create": True,
        "edit": True,
        "delete": False,
        "view_all": False,
        "modify_all": False,
    }
    for name in ("Account", "Contact", "Opportunity", "Lead", "Case"):
        assert standard["object_permissions"][name] == crud
    assert standard["object_permissions"]["User"] == {**NO_OBJECT, "read": True}
    minimum = profiles["Minimum Access"]
    assert (minimum["api_enabled"], minimum["object_permissions"], minimum["field_permissions"]) == (
        False,
        {},
        {},
    )


def test_when_permission_set_created_and_changed_then_view_shows_implied_permissions(
    admin: httpx.Client,
) -> None:
    name = f"Sales_{secrets.token_hex(3)}"
    created = admin.post(
        f"{API}/permission-sets",
        json={
            "name": name,
            "label": "Sales Ops",
            "api_enabled": True,
            "object_permissions": {"Account": {"delete": True}, "Lead": {"modify_all": True}},
            "field_permissions": {"Account.Rating": {"edit": True}, "Account.Phone": {}},
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == name and body["label"] == "Sales Ops" and body["id"].startswith("0PS")
    assert body["object_permissions"]["Account"] == {**NO_OBJECT, "read": True, "edit": True, "delete": True}
    assert body["object_permissions"]["Lead"] == dict.fromkeys(NO_OBJECT, True)
    assert body["field_permissions"] == {
        "Account.Phone": {"read": False, "edit": False},
        "Account.Rating": {"read": True, "edit": True},
    }
    changed = admin.patch(
        f"{API}/permission-sets/{name}",
        json={"object_permissions": {"Lead": {}}, "view_all_data": True},
    )
    assert changed.status_code == 200, changed.text
    assert "Lead" not in changed.json()["object_permissions"] and changed.json()["view_all_data"] is True
    assert admin.get(f"{API}/permission-sets/{name}").json() == changed.json()
    assert name in {p["name"] for p in admin.get(f"{API}/permission-sets").json()}


def test_when_profile_created_then_assignable_to_users_and_enforced(
    server: Server, admin: httpx.Client
) -> None:
    name = f"Support {secrets.token_hex(3)}"
    created = admin.post(
        f"{API}/profiles",
        json={"name": name, "api_enabled": True, "object_permissions": {"Case": {"read": True}}},
    )
    assert created.status_code == 201, created.text
    user = admin.post(
        f"{API}/users",
        json={
            "username": f"support-{secrets.token_hex(3)}@example.com",
            "password": "Passw0rd-x1",
            "profile": name,
        },
    ).json()
    with server.ctx.db.read() as conn:
        access = load_user_access(conn, user["id"])
    assert access.api_enabled and access.object_permissions("case").can_read
    assert (
        not access.object_permissions("Case").can_edit and not access.object_permissions("Account").can_read
    )
    assert access.field_permissions("Case", "Subject").readable  # standard fields follow the object
    assert not access.field_permissions("Case", "Secret__c").readable  # custom fields wait for a grant
    patched = admin.patch(f"{API}/profiles/{name}", json={"api_enabled": False})
    assert patched.json()["api_enabled"] is False


def test_when_a_profile_grants_one_permission_per_object_then_each_counts_with_what_it_implies(
    server: Server, admin: httpx.Client
) -> None:
    """Edit alone, View All alone and Modify All alone each reach the user's effective access."""
    name = f"Single {secrets.token_hex(3)}"
    grants = {"Account": {"edit": True}, "Contact": {"view_all": True}, "Lead": {"modify_all": True}}
    created = admin.post(f"{API}/profiles", json={"name": name, "object_permissions": grants})
    assert created.status_code == 201, created.text
    user = server.create_user(profile=name)

    with server.ctx.db.read() as conn:
        access = load_user_access(conn, user.id)

    flags = ("can_read", "can_create", "can_edit", "can_delete", "view_all", "modify_all")
    effective = {
        obj: tuple(getattr(access.object_permissions(obj), flag) for flag in flags) for obj in grants
    }
    assert effective == {
        "Account": (True, False, True, False, False, False),
        "Contact": (True, False, False, False, True, False),
        "Lead": (True, True, True, True, True, True),
    }


def test_when_profile_and_permission_set_both_name_a_field_then_the_union_holds(
    server: Server, admin: httpx.Client, custom_field: str
) -> None:
    """Field permissions of several parents add up; a read grant alone never edits; an explicit
    "no access" row hides a standard field."""
    with server.ctx.db.write() as conn:
        other = metadata.create_custom_field(
            conn, server.org_id, "Account", f"Other{secrets.token_hex(3)}__c", "string", length=40
        ).name
    profile, extra = f"Fls {secrets.token_hex(3)}", f"Fls_{secrets.token_hex(3)}"
    created = admin.post(
        f"{API}/profiles",
        json={
            "name": profile,
            "object_permissions": {"Account": {"read": True, "edit": True}},
            "field_permissions": {
                "Account.Phone": {"read": False, "edit": False},
                f"Account.{custom_field}": {"read": True, "edit": False},
                f"Account.{other}": {"read": True, "edit": True},
            },
        },
    )
    assert created.status_code == 201, created.text
    granted = admin.post(
        f"{API}/permission-sets",
        json={
            "name": extra,
            "field_permissions": {
                f"Account.{custom_field}": {"read": True, "edit": True},
                f"Account.{other}": {"read": True, "edit": False},
            },
        },
    )
    assert granted.status_code == 201, granted.text
    user = server.create_user(profile=profile)

    def fields() -> dict[str, tuple[bool, bool]]:
        with server.ctx.db.read() as conn:
            access = load_user_access(conn, user.id)
        return {
            name: (
                access.field_permissions("Account", name).readable,
                access.field_permissions("Account", name).editable,
            )
            for name in ("Phone", custom_field, other, "Name")
        }

    assert fields() == {
        "Phone": (False, False),
        custom_field: (True, False),
        other: (True, True),
        "Name": (True, True),
    }
    assigned = admin.post(f"{API}/permission-sets/{extra}/assignments", json={"user": user.username})
    assert assigned.status_code == 200, assigned.text
    assert fields() == {
        "Phone": (False, False),
        custom_field: (True, True),
        other: (True, True),
        "Name": (True, True),
    }


@pytest.fixture
def custom_field(server: Server) -> str:
    """A new custom text field on Account, by API name."""
    name = f"Secret{secrets.token_hex(3)}__c"
    with server.ctx.db.write() as conn:
        return metadata.create_custom_field(conn, server.org_id, "Account", name, "string", length=40).name


def test_when_permission_set_assigned_then_it_adds_and_unassigning_takes_it_back(
    server: Server, admin: httpx.Client, custom_field: str
) -> None:
    user = server.create_user(profile="Standard User")
    name = f"Deleter_{secrets.token_hex(3)}"
    admin.post(
        f"{API}/permission-sets",
        json={
            "name": name,
            "object_permissions": {"Account": {"delete": True}},
            "field_permissions": {f"Account.{custom_field}": {"read": True}},
        },
    )

    def access_now() -> tuple[bool, bool, bool]:
        with server.ctx.db.read() as conn:
            access = load_user_access(conn, user.id)
        perms = access.object_permissions("Account")
        return perms.can_delete, perms.can_create, access.field_permissions("Account", custom_field).readable

    assert access_now() == (False, True, False)
    assigned = admin.post(f"{API}/permission-sets/{name}/assignments", json={"user": user.username})
    assert assigned.status_code == 200 and name in assigned.json()["permission_sets"]
    assert access_now() == (True, True, True)
    assert admin.delete(f"{API}/permission-sets/{name}/assignments/{user.id}").status_code == 204
    assert access_now() == (False, True, False)
    again = admin.delete(f"{API}/permission-sets/{name}/assignments/{user.id}")
    assert error_of(again) == (404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"api_enabled": "yes"}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"object_permissions": {"Account": {"read": 1}}}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"object_permissions": {"Account": {"fly": True}}}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"object_permissions": {"Bad Name": {"read": True}}}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"object_permissions": ["Account"]}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"field_permissions": {"Phone": {"read": True}}}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"field_permissions": {"Account.Phone": {"delete": True}}}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"manage_users": "yes"}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"manage_everything": True}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"object_permissions": {"Nothing__c": {"read": True}}}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"field_permissions": {"Account.Nope__c": {"read": True}}}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"field_permissions": {"Account.Name": {}}}, "FIELD_INTEGRITY_EXCEPTION"),
        ({"field_permissions": {"Account.CreatedDate": {}}}, "FIELD_INTEGRITY_EXCEPTION"),
    ],
)
def test_when_permission_change_invalid_then_400_and_nothing_changes(
    admin: httpx.Client, body: dict[str, object], code: str
) -> None:
    name = f"Strict_{secrets.token_hex(3)}"
    admin.post(
        f"{API}/permission-sets", json={"name": name, "object_permissions": {"Contact": {"read": True}}}
    )
    # A valid change alongside the invalid one: neither is applied.
    response = admin.patch(f"{API}/permission-sets/{name}", json={"view_all_data": True, **body})
    assert error_of(response) == (400, code)
    after = admin.get(f"{API}/permission-sets/{name}").json()
    assert after["view_all_data"] is False and list(after["object_permissions"]) == ["Contact"]


def test_when_names_unknown_or_taken_then_404_and_409(admin: httpx.Client) -> None:
    assert error_of(admin.get(f"{API}/profiles/Nobody")) == (404, "NOT_FOUND")
    assert error_of(admin.patch(f"{API}/permission-sets/Nothing", json={})) == (404, "NOT_FOUND")
    assert error_of(admin.post(f"{API}/profiles", json={"name": "Standard User"})) == (409, "DUPLICATE_VALUE")
    assert error_of(admin.post(f"{API}/permission-sets/Nothing/assignments", json={"user": "x@y.z"})) == (
        404,
        "NOT_FOUND",
    )


def test_when_caller_may_not_manage_users_then_403(server: Server) -> None:
    token = token_for(server, server.create_user(profile="Standard User"))
    with server.client(headers=bearer(token)) as client:
        for method, path in (
            ("GET", "/profiles"),
            ("POST", "/permission-sets"),
            ("PATCH", "/profiles/Standard User"),
        ):
            response = client.request(method, API + path, json={"name": "x"} if method != "GET" else None)
            assert error_of(response) == (403, "INSUFFICIENT_ACCESS"), path


def test_when_org_predates_0006_then_migration_gives_it_the_standard_profiles(tmp_path: object) -> None:
    """An org created at revision 0005 (two profiles without data-API permissions) is upgraded."""
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    settings: Settings = make_settings(f"sqlite:///{tmp_path / 'old.db'}", tmp_path)
    ctx = Context.from_settings(settings)
    upgrade(ctx.db, "0005")
    with ctx.db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO orgs (id, name, instance_name, is_sandbox, created_ms) "
                "VALUES ('00D000000000001AAA', 'old', 'FG1', false, 0)"
            )
        )
        for profile_id, name in (
            ("00e000000000001AAA", "System Administrator"),
            ("00e000000000002AAA", "Standard User"),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO profiles (id, org_id, name, manage_connected_apps, manage_users, "
                    "created_ms) VALUES (:id, '00D000000000001AAA', :name, false, false, 0)"
                ),
                {"id": profile_id, "name": name},
            )
    upgrade(ctx.db)
    with ctx.db.engine.connect() as conn:
        rows = {
            r.name: (r.api_enabled, r.view_all_data, r.modify_all_data)
            for r in conn.execute(
                sa.text("SELECT name, api_enabled, view_all_data, modify_all_data FROM profiles")
            )
        }
        objects = {
            r.object_name: (r.can_read, r.can_create, r.can_edit, r.can_delete)
            for r in conn.execute(
                sa.text(
                    "SELECT object_name, can_read, can_create, can_edit, can_delete FROM object_permissions"
                )
            )
        }
        allowance = conn.execute(sa.text("SELECT daily_api_requests FROM orgs")).scalar_one()
    ctx.db.dispose()
    assert rows == {
        "System Administrator": (True, True, True),
        "Standard User": (True, False, False),
        "Minimum Access": (False, False, False),
    }
    assert objects["Account"] == (True, True, True, False) and objects["User"] == (True, False, False, False)
    assert allowance == 100_000


def test_when_admin_profile_lacks_api_enabled_then_admin_api_refuses_too(server: Server) -> None:
    """A profile that may manage users but has no "API Enabled" cannot use the admin API either."""
    name = f"Helpdesk {secrets.token_hex(3)}"
    with server.ctx.db.write() as conn:
        repo.insert_profile(
            conn, server.org_id, name, manage_connected_apps=False, manage_users=True, now_ms=0
        )
    token = token_for(server, server.create_user(profile=name))
    with server.client(headers=bearer(token)) as client:
        assert error_of(client.get(f"{API}/users")) == (403, "API_DISABLED_FOR_ORG")
    with admin_client(server) as admin:
        assert admin.patch(f"{API}/profiles/{name}", json={"api_enabled": True}).status_code == 200
    with server.client(headers=bearer(token)) as client:
        assert client.get(f"{API}/users").status_code == 200

"""Setup's Profiles and Permission Sets (issue 12, item 3): lists, New, the system permissions and the
object matrix, the field pages, a permission set's users, the refusals; that what the matrix saves is
what the data API enforces; and that the admin right of a permission set opens Setup and the admin API
(and closes them again when the assignment goes), over HTTP on both backends."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest

from forcegate.org import permissions
from forcegate.storage import repositories as repo
from tests.support.browser import setup_session
from tests.support.data_api import DATA, bearer, error_of, token_for
from tests.support.server import Server
from tests.support.setup_client import checked, logged_in, post

ADMIN = "System Administrator"
STANDARD = "Standard User"
FLAGS = ("read", "create", "edit", "delete", "view_all", "modify_all")


@pytest.fixture
def setup(server: Server) -> Iterator[httpx.Client]:
    with setup_session(server) as client:
        yield client


def _new_profile(setup: httpx.Client, **system: str) -> str:
    name = f"Custom {secrets.token_hex(3)}"
    created = post(setup, "/setup/profiles/new", {"name": name, **system})
    assert created.status_code == 302, created.text
    assert created.headers["location"] == f"/setup/profiles/{name.replace(' ', '%20')}?notice=profile-created"
    return name


def _granted(server: Server, kind: str, name: str) -> dict[str, object]:
    with server.ctx.db.read() as conn:
        return permissions.parent_view(conn, permissions.find_parent(conn, server.org_id, kind, name))


def _matrix(**objects: tuple[str, ...]) -> list[tuple[str, str]]:
    """The object matrix as the page posts it: a row per object, a box per checked flag."""
    pairs = []
    for name, flags in objects.items():
        pairs.append(("object", name))
        pairs.extend((f"object:{name}:{flag}", "true") for flag in flags)
    return pairs


def test_the_lists_show_the_standard_profiles_and_the_permission_sets(setup: httpx.Client) -> None:
    profiles = setup.get("/setup/profiles")
    assert profiles.status_code == 200
    for name in (ADMIN, STANDARD, "Minimum Access"):
        assert f'href="/setup/profiles/{name.replace(" ", "%20")}"' in profiles.text
    assert 'href="/setup/profiles/new"' in profiles.text
    name = f"ps_{secrets.token_hex(3)}"
    assert post(setup, "/setup/permission-sets/new", {"name": name, "label": "Helpdesk"}).status_code == 302
    sets = setup.get("/setup/permission-sets")
    assert (
        sets.status_code == 200
        and f'href="/setup/permission-sets/{name}"' in sets.text
        and "Helpdesk" in sets.text
    )


def test_a_new_profile_has_the_system_permissions_checked(server: Server, setup: httpx.Client) -> None:
    form = setup.get("/setup/profiles/new")
    assert form.status_code == 200
    for flag in ("api_enabled", "view_all_data", "modify_all_data", "manage_connected_apps", "manage_users"):
        assert f'name="{flag}"' in form.text
    name = _new_profile(setup, api_enabled="true", manage_users="true")
    location = f"/setup/profiles/{name.replace(' ', '%20')}?notice=profile-created"
    view = _granted(server, "profile", name)
    assert (
        view["api_enabled"],
        view["view_all_data"],
        view["manage_users"],
        view["manage_connected_apps"],
    ) == (True, False, True, False)
    page = setup.get(location)
    assert page.status_code == 200 and "The profile was created." in page.text
    assert checked(page.text, "api_enabled") and not checked(page.text, "view_all_data")


@pytest.mark.parametrize(
    ("path", "fields", "message"),
    [
        ("/setup/profiles/new", {"name": STANDARD}, "already exists"),
        ("/setup/profiles/new", {"name": " "}, "name must be 1 to 255 characters"),
        ("/setup/permission-sets/new", {"name": "x" * 81}, "name must be 1 to 80 characters"),
    ],
)
def test_new_refusals_show_the_form_again(
    setup: httpx.Client, path: str, fields: dict[str, str], message: str
) -> None:
    refused = post(setup, path, fields)
    assert refused.status_code == 400 and message in refused.text


def test_a_duplicate_permission_set_is_refused(setup: httpx.Client) -> None:
    name = f"ps_{secrets.token_hex(3)}"
    assert post(setup, "/setup/permission-sets/new", {"name": name}).status_code == 302
    refused = post(setup, "/setup/permission-sets/new", {"name": name})
    assert refused.status_code == 400 and "already exists" in refused.text


def test_the_matrix_lists_every_object_and_saves_what_setup_implies(
    server: Server, setup: httpx.Client
) -> None:
    name = _new_profile(setup)
    page = setup.get(f"/setup/profiles/{name}")
    for obj in ("Account", "Contact", "Opportunity", "User"):
        assert f'name="object:{obj}:read"' in page.text
    saved = post(
        setup,
        f"/setup/profiles/{name}",
        [("api_enabled", "true"), *_matrix(Account=("edit",), Contact=("modify_all",), Lead=())],
    )
    assert saved.status_code == 302 and saved.headers["location"].endswith("?notice=permissions-saved")
    view = _granted(server, "profile", name)
    objects = view["object_permissions"]
    assert isinstance(objects, dict)
    assert objects["Account"] == {**dict.fromkeys(FLAGS, False), "read": True, "edit": True}  # Edit ⇒ Read
    assert objects["Contact"] == dict.fromkeys(FLAGS, True)  # Modify All ⇒ everything
    assert "Lead" not in objects
    after = setup.get(saved.headers["location"])
    assert "The permissions were saved." in after.text
    assert checked(after.text, "object:Account:read") and checked(after.text, "object:Account:edit")
    assert not checked(after.text, "object:Account:delete")
    assert all(checked(after.text, f"object:Contact:{flag}") for flag in FLAGS)
    # A row posted with no box checked loses its permissions.
    post(setup, f"/setup/profiles/{name}", [("api_enabled", "true"), *_matrix(Account=())])
    objects = _granted(server, "profile", name)["object_permissions"]
    assert isinstance(objects, dict) and "Account" not in objects and "Contact" in objects


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("object", "Nothing__c"), ("object:Nothing__c:read", "true")], "no object named"),
        ([("object:Account:fly", "true")], "unknown permission(s) fly"),
        ([("object:Account:read", "maybe")], "permissions must be booleans"),
    ],
)
def test_a_matrix_post_that_makes_no_sense_is_refused_and_changes_nothing(
    server: Server, setup: httpx.Client, pairs: list[tuple[str, str]], message: str
) -> None:
    name = _new_profile(setup)
    before = _granted(server, "profile", name)
    refused = post(
        setup, f"/setup/profiles/{name}", [*_matrix(Contact=("read",)), ("view_all_data", "true"), *pairs]
    )
    assert refused.status_code == 400, refused.text
    assert message in refused.text.replace("&#39;", "'")
    assert _granted(server, "profile", name) == before


def test_the_field_page_sets_read_and_edit_per_field(server: Server, setup: httpx.Client) -> None:
    name = _new_profile(setup)
    post(setup, f"/setup/profiles/{name}", _matrix(Account=("read", "edit")))
    picker = setup.get(f"/setup/profiles/{name}/fields")
    assert picker.status_code == 200 and "fields?object=Account" in picker.text
    page = setup.get(f"/setup/profiles/{name}/fields", params={"object": "Account"})
    assert page.status_code == 200
    # A standard field no row names follows the object; system and required fields are not listed.
    assert checked(page.text, "field:Account.Phone:read") and checked(page.text, "field:Account.Phone:edit")
    assert (
        'name="field:Account.Id:read"' not in page.text and 'name="field:Account.Name:read"' not in page.text
    )
    pairs = [
        ("object", "Account"),
        ("field", "Account.Phone"),
        ("field:Account.Phone:read", "true"),
        ("field", "Account.Industry"),
    ]
    pairs += [("field", "Account.Website"), ("field:Account.Website:edit", "true")]
    saved = post(setup, f"/setup/profiles/{name}/fields", pairs)
    assert saved.status_code == 302, saved.text[saved.text.find('role="alert"') :][:300]
    assert (
        saved.headers["location"]
        == f"/setup/profiles/{name.replace(' ', '%20')}/fields?object=Account&notice=permissions-saved"
    )
    fields = _granted(server, "profile", name)["field_permissions"]
    assert fields == {
        "Account.Industry": {"read": False, "edit": False},
        "Account.Phone": {"read": True, "edit": False},
        "Account.Website": {"read": True, "edit": True},  # Edit ⇒ Read
    }
    after = setup.get(saved.headers["location"])
    assert checked(after.text, "field:Account.Website:read") and not checked(
        after.text, "field:Account.Industry:read"
    )


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ([("field", "Account.Nope__c"), ("field:Account.Nope__c:read", "true")], "no field named"),
        ([("field", "Account.Name"), ("field:Account.Name:read", "true")], "is always visible"),
        ([("field:Account.Phone:delete", "true")], "unknown permission(s) delete"),
        ([("field:Account.Phone:read", "yes please")], "permissions must be booleans"),
        ([("field", "Phone")], "must be named Object.Field"),
    ],
)
def test_a_field_post_that_makes_no_sense_is_refused(
    server: Server, setup: httpx.Client, pairs: list[tuple[str, str]], message: str
) -> None:
    name = _new_profile(setup)
    refused = post(setup, f"/setup/profiles/{name}/fields", [("object", "Account"), *pairs])
    assert refused.status_code == 400 and message in refused.text.replace("&#39;", "'")
    assert _granted(server, "profile", name)["field_permissions"] == {}


def test_a_standard_profile_is_shown_but_not_changed(server: Server, setup: httpx.Client) -> None:
    page = setup.get("/setup/profiles/Standard User")
    assert page.status_code == 200 and "A standard profile" in page.text
    assert 'id="save-permissions"' not in page.text and " disabled" in page.text
    before = _granted(server, "profile", STANDARD)
    refused = post(setup, "/setup/profiles/Standard User", _matrix(Account=()))
    assert refused.status_code == 400 and "is a standard profile" in refused.text
    fields = post(
        setup, "/setup/profiles/Standard User/fields", [("object", "Account"), ("field", "Account.Phone")]
    )
    assert fields.status_code == 400
    assert _granted(server, "profile", STANDARD) == before


def test_unknown_names_are_404_pages(setup: httpx.Client) -> None:
    for method, path in (
        ("GET", "/setup/profiles/Nobody"),
        ("GET", "/setup/profiles/Nobody/fields"),
        ("POST", "/setup/profiles/Nobody"),
        ("GET", "/setup/permission-sets/Nothing"),
        ("POST", "/setup/permission-sets/Nothing/assignments"),
        ("GET", f"/setup/profiles/{STANDARD}/fields?object=Nothing__c"),
    ):
        answer = setup.get(path) if method == "GET" else post(setup, path, {})
        assert answer.status_code == 404 and "There is no such" in answer.text, path


def test_a_permission_set_shows_its_users_and_assigns_by_username(
    server: Server, setup: httpx.Client
) -> None:
    user = server.create_user(profile=STANDARD)
    name = f"ps_{secrets.token_hex(3)}"
    post(setup, "/setup/permission-sets/new", {"name": name})
    assigned = post(setup, f"/setup/permission-sets/{name}/assignments", {"user": user.username})
    assert assigned.status_code == 302 and assigned.headers["location"].endswith("?notice=assignment-saved")
    page = setup.get(f"/setup/permission-sets/{name}")
    assert f'href="/setup/users/{user.id}"' in page.text and f"Remove {user.username}" in page.text
    unknown = post(setup, f"/setup/permission-sets/{name}/assignments", {"user": "nobody@example.com"})
    assert unknown.status_code == 400 and "no user" in unknown.text
    removed = post(setup, f"/setup/permission-sets/{name}/assignments/remove", {"user": user.id})
    assert removed.status_code == 302
    assert "No users assigned." in setup.get(f"/setup/permission-sets/{name}").text


def test_what_the_matrix_saves_is_what_the_data_api_enforces(server: Server, setup: httpx.Client) -> None:
    """Least privilege you can see working: a user loses Read on Account in Setup, and the data API
    refuses Account at their next call."""
    name = _new_profile(setup, api_enabled="true")
    post(setup, f"/setup/profiles/{name}", [("api_enabled", "true"), *_matrix(Account=("read",))])
    user = server.create_user(profile=name)
    with server.client(headers=bearer(token_for(server, user))) as api:
        query = {"q": "SELECT Id, Name FROM Account"}
        assert api.get(f"{DATA}/query", params=query).status_code == 200
        assert api.get(f"{DATA}/sobjects/Account/describe").status_code == 200
        post(setup, f"/setup/profiles/{name}", [("api_enabled", "true"), *_matrix(Account=())])
        assert error_of(api.get(f"{DATA}/query", params=query))[0] == 400
        assert api.get(f"{DATA}/sobjects/Account/describe").status_code == 404


def test_a_permission_set_with_manage_users_lets_a_standard_user_in_until_it_is_removed(
    server: Server, setup: httpx.Client
) -> None:
    user = server.create_user(profile=STANDARD)
    api = server.client(headers=bearer(token_for(server, user)))
    with api, logged_in(server, user) as browser:
        assert browser.get("/setup").status_code == 403
        assert error_of(api.get("/admin/api/v1/users")) == (403, "INSUFFICIENT_ACCESS")
        name = f"ps_{secrets.token_hex(3)}"
        assert (
            post(setup, "/setup/permission-sets/new", {"name": name, "manage_users": "true"}).status_code
            == 302
        )
        assert _granted(server, "permission_set", name)["manage_users"] is True
        post(setup, f"/setup/permission-sets/{name}/assignments", {"user": user.id})
        assert browser.get("/setup").status_code == 200
        assert browser.get("/setup/users").status_code == 200
        assert api.get("/admin/api/v1/users").status_code == 200
        # Manage Users is not Manage Connected Apps: the app routes stay shut.
        assert error_of(api.get("/admin/api/v1/connected-apps")) == (403, "INSUFFICIENT_ACCESS")
        post(setup, f"/setup/permission-sets/{name}/assignments/remove", {"user": user.id})
        assert browser.get("/setup").status_code == 403
        assert error_of(api.get("/admin/api/v1/users")) == (403, "INSUFFICIENT_ACCESS")
    with server.ctx.db.read() as conn:
        assert repo.permission_set_names_for_user(conn, user.id) == []


def test_a_non_administrator_is_refused_every_page(server: Server) -> None:
    with logged_in(server, server.create_user(profile=STANDARD)) as standard:
        for path in (
            "/setup/profiles",
            "/setup/profiles/new",
            f"/setup/profiles/{STANDARD}",
            "/setup/permission-sets",
        ):
            assert standard.get(path).status_code == 403, path
        assert post(standard, "/setup/profiles/new", {"name": "Sneaky"}).status_code == 403

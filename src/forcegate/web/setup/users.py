"""Setup's Users (issue 12, item 3): the list, New User, and a user's page with its actions.

The forms come from ``forcegate.resources.user`` (``CREATE``, ``UPDATE``) and the work is the admin
API's: ``org.users`` and ``org.access``/``org.permissions`` for permission set assignments. A new
security token (after New User, a password reset or "Reset Security Token") is shown once, in the
answer to that POST only: Salesforce emails it; no GET ever shows one. A password reset is typed by
the administrator (the password policy applies), as the admin API and CLI take it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.datastructures import FormData
from starlette.responses import Response
from starlette.routing import Route

from forcegate.api_errors import AdminError
from forcegate.domain import User
from forcegate.org import access, permissions, users
from forcegate.org.errors import NotFound
from forcegate.resources import user as declared
from forcegate.storage import repositories as repo
from forcegate.web import forms
from forcegate.web.forms import Option
from forcegate.web.setup.console import Admin, Paging, action, page

__all__ = ["ROUTES", "not_found"]

USERS = "/setup/users"
# What a user's page edits in place; the password, unlock and token reset are actions of their own.
EDITED = ("first_name", "last_name", "email", "profile", "is_active")
# The page's words over the declared descriptions, which are written for the API and the CLI.
HELPS = {
    "first_name": "",
    "last_name": "",
    "profile": "",
    "is_active": "Unchecked: the user is deactivated, and every token and session of theirs revoked.",
}


def not_found(admin: Admin, section: str, what: str) -> Response:
    """The 404 page of a Setup record (``what``: "user", "profile"...) this org does not have."""
    return admin.not_found(
        f"There is no such {what}: it may have been deleted, or the link is wrong.", section=section
    )


def _profiles(conn: Connection, org_id: str) -> dict[str, tuple[Option, ...]]:
    """The ``profile`` field's pick list: the org's profiles."""
    return {"profile": tuple(Option(p.name, p.name) for p in repo.list_profiles(conn, org_id))}


def _user_of(admin: Admin, conn: Connection) -> User | None:
    try:
        return users.find_user(conn, admin.org_id, admin.request.path_params["user"])
    except NotFound:
        return None


@page
def user_list(admin: Admin) -> Response:
    """GET /setup/users: every user (``?q=`` narrows by name, username or email), paginated."""
    request = admin.request
    text = request.query_params.get("q", "")[:100]
    paging = Paging.of(request)
    with admin.ctx.db.read() as conn:
        found = users.list_users(conn, admin.org_id, text)
        profiles = {p.id: p.name for p in repo.list_profiles(conn, admin.org_id)}
    shown = found[paging.offset : paging.offset + paging.limit]
    return admin.render(
        "setup/users.html",
        section=USERS,
        query=text,
        users=shown,
        profiles=profiles,
        now_ms=admin.ctx.now_ms(),
        links=paging.links(request, len(shown), paging.offset + len(shown) < len(found)),
    )


def _new_page(admin: Admin, values: dict[str, Any] | None, error: AdminError | None) -> Response:
    with admin.ctx.db.read() as conn:
        choices = _profiles(conn, admin.org_id)
    form = forms.form(
        declared.CREATE,
        values or {"profile": users.STANDARD_USER},
        error=error,
        choices=choices,
        helps={
            **HELPS,
            "email": "Defaults to the username.",
            "last_name": "Defaults to the username's local part.",
        },
    )
    return admin.render("setup/user_new.html", section=USERS, form=form, status=400 if error else 200)


@page
def new_user(admin: Admin) -> Response:
    """GET /setup/users/new: the New User form."""
    return _new_page(admin, None, None)


def create_user(admin: Admin, posted: FormData) -> Response:
    """POST /setup/users/new: create the user; the answer shows its security token, once."""
    submission = forms.submit(declared.CREATE, posted)
    try:
        values = submission.valid()
        with admin.ctx.db.write() as conn:
            created, token = users.create_user(admin.ctx, conn, admin.org_id, **values, actor=admin.actor)
    except AdminError as error:
        return _new_page(admin, submission.body, error)
    return _revealed(admin, created, token, "The user was created.")


def _revealed(admin: Admin, user: User, token: str, done: str) -> Response:
    """The one page that shows a security token: the answer to the POST that made it."""
    return admin.render("setup/user_token.html", section=USERS, shown=user, token=token, done=done)


def _detail(
    admin: Admin,
    conn: Connection,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    error: AdminError | None = None,
    password_error: AdminError | None = None,
) -> Response:
    view = users.user_view(conn, user)
    edit = forms.form(
        declared.UPDATE,
        values or view,
        names=EDITED,
        error=error,
        choices=_profiles(conn, admin.org_id),
        helps=HELPS,
        prefix="edit",
    )
    password = forms.form(declared.UPDATE, {}, names=("password",), error=password_error, prefix="password")
    assigned = set(view["permission_sets"])
    available = [
        r["name"] for r in repo.list_permission_sets(conn, admin.org_id) if r["name"] not in assigned
    ]
    locked = user.locked_until_ms is not None and user.locked_until_ms > admin.ctx.now_ms()
    return admin.render(
        "setup/user.html",
        section=USERS,
        status=400 if error or password_error else 200,
        shown=user,
        view=view,
        locked=locked,
        edit=edit,
        password=password,
        available=available,
    )


@page
def show_user(admin: Admin) -> Response:
    """GET /setup/users/{user}: the user's details, the edit form and the actions."""
    with admin.ctx.db.read() as conn:
        found = _user_of(admin, conn)
        if found is None:
            return not_found(admin, USERS, "user")
        return _detail(admin, conn, found)


def _update(
    admin: Admin,
    posted: FormData,
    names: tuple[str, ...],
    fixed: dict[str, Any],
    *,
    notice: str | None = None,
    revealed: str = "",
) -> Response:
    """Apply ``UPDATE``'s fields ``names`` as posted, plus ``fixed`` (an action's own change), then
    back to the user's page with ``notice``; or, when the change made a security token, show it once
    under the words ``revealed``."""
    submission = forms.submit(declared.UPDATE, posted, names=names)
    with admin.ctx.db.write() as conn:
        found = _user_of(admin, conn)
        if found is None:
            return not_found(admin, USERS, "user")
        try:
            updated, token = users.update_user(
                admin.ctx, conn, found, {**submission.valid(), **fixed}, actor=admin.actor
            )
        except AdminError as error:
            if "password" in names:
                return _detail(admin, conn, found, password_error=error)
            return _detail(admin, conn, found, values=submission.body, error=error)
    if token is not None:
        return _revealed(admin, updated, token, revealed)
    return admin.redirect(f"{USERS}/{updated.id}", notice=notice)


def save_user(admin: Admin, posted: FormData) -> Response:
    """POST /setup/users/{user}: names, email, profile, active (deactivating revokes every token)."""
    return _update(admin, posted, EDITED, {}, notice="user-saved")


def reset_password(admin: Admin, posted: FormData) -> Response:
    """POST /setup/users/{user}/password: a new password typed by the administrator; it also issues
    a new security token (shown once), unlocks the user and ends their browser sessions."""
    return _update(admin, posted, ("password",), {}, revealed="The password was reset.")


def unlock(admin: Admin, posted: FormData) -> Response:
    """POST /setup/users/{user}/unlock: lift a login lockout at once."""
    return _update(admin, posted, (), {"unlock": True}, notice="user-unlocked")


def reset_token(admin: Admin, posted: FormData) -> Response:
    """POST /setup/users/{user}/security-token: a new security token, shown once."""
    return _update(
        admin, posted, (), {"reset_security_token": True}, revealed="A new security token was issued."
    )


def _assignment(admin: Admin, posted: FormData, *, remove: bool) -> Response:
    name = str(posted.get("permission_set") or "")
    with admin.ctx.db.write() as conn:
        found = _user_of(admin, conn)
        if found is None:
            return not_found(admin, USERS, "user")
        try:
            if remove:
                permission_set = permissions.find_parent(conn, admin.org_id, "permission_set", name)
                permissions.unassign(admin.ctx, conn, permission_set, found, actor=admin.actor)
            else:
                access.assign_permission_set(admin.ctx, conn, admin.org_id, name, found, actor=admin.actor)
        except AdminError as error:
            return _detail(admin, conn, found, error=error)
    return admin.redirect(f"{USERS}/{found.id}", notice="assignment-saved")


def assign(admin: Admin, posted: FormData) -> Response:
    """POST /setup/users/{user}/permission-sets: permission_set, the name of the set to assign."""
    return _assignment(admin, posted, remove=False)


def unassign(admin: Admin, posted: FormData) -> Response:
    """POST /setup/users/{user}/permission-sets/remove: permission_set, the name of the set to remove."""
    return _assignment(admin, posted, remove=True)


ROUTES: list[Route] = [
    Route(USERS, user_list, methods=["GET"]),
    Route(f"{USERS}/new", new_user, methods=["GET"]),
    Route(f"{USERS}/new", action(create_user, cpu_heavy=True), methods=["POST"]),
    Route(USERS + "/{user}", show_user, methods=["GET"]),
    Route(USERS + "/{user}", action(save_user), methods=["POST"]),
    Route(USERS + "/{user}/password", action(reset_password, cpu_heavy=True), methods=["POST"]),
    Route(USERS + "/{user}/unlock", action(unlock), methods=["POST"]),
    Route(USERS + "/{user}/security-token", action(reset_token), methods=["POST"]),
    Route(USERS + "/{user}/permission-sets", action(assign), methods=["POST"]),
    Route(USERS + "/{user}/permission-sets/remove", action(unassign), methods=["POST"]),
]

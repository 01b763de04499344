"""Setup's Profiles and Permission Sets (issue 12, item 3): lists, New, and each one's page with its
system permissions and its object permissions as a matrix, its field permissions a page per object
(``…/fields?object=Account``), and a permission set's assigned users.

Both kinds are one set of handlers over a :class:`Kind`. Every change goes through
``org.permissions.apply_changes`` with the body ``resources.permissions.CHANGES`` declares, so the
page refuses exactly what the admin API refuses (an unknown object or field, a flag that is not a
boolean) and stores what it stores: Setup's implications applied (Edit implies Read, Modify All
implies everything…), which the page shows after the redirect.

Standard profiles (System Administrator, Standard User, Minimum Access) are shown read-only: Setup
keeps them as Salesforce ships them (clone one as a custom profile to change it); the admin API and
the CLI still change them.

The matrix posts one hidden ``object`` (or ``field``) per row it shows and a checkbox
``object:<Name>:<flag>`` (``field:<Object.Field>:<flag>``) per flag checked; a row whose boxes are all
unchecked loses its permissions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection
from starlette.datastructures import FormData
from starlette.responses import Response
from starlette.routing import Route

from forcegate.api_errors import AdminError
from forcegate.org import access, permissions, users
from forcegate.org.errors import NotFound, ValidationFailed
from forcegate.resources import permissions as declared
from forcegate.resources.base import Declaration
from forcegate.storage import permissions as store
from forcegate.storage import repositories as repo
from forcegate.web import forms
from forcegate.web.setup.console import Admin, action, page
from forcegate.web.setup.users import not_found

__all__ = ["ROUTES"]

# Salesforce's column headings of the object and field matrices.
OBJECT_COLUMNS = {
    "read": "Read",
    "create": "Create",
    "edit": "Edit",
    "delete": "Delete",
    "view_all": "View All",
    "modify_all": "Modify All",
}
FIELD_COLUMNS = {"read": "Read Access", "edit": "Edit Access"}


@dataclass(frozen=True)
class Kind:
    """Profiles or permission sets: what differs between their pages."""

    kind: str  # store.Parent.kind
    title: str  # "Profiles"
    singular: str  # "profile"
    href: str  # the list's path, also the Setup section
    param: str  # the path parameter naming one
    create: Declaration
    created: str  # the notice after New

    def path(self, name: str) -> str:
        return f"{self.href}/{quote(name, safe='')}"


PROFILES = Kind(
    "profile",
    "Profiles",
    "profile",
    "/setup/profiles",
    "profile",
    declared.PROFILE_CREATE,
    "profile-created",
)
PERMISSION_SETS = Kind(
    "permission_set",
    "Permission Sets",
    "permission set",
    "/setup/permission-sets",
    "permission_set",
    declared.PERMISSION_SET_CREATE,
    "permission-set-created",
)


def _parent_of(admin: Admin, conn: Connection, kind: Kind) -> store.Parent | None:
    try:
        return permissions.find_parent(conn, admin.org_id, kind.kind, admin.request.path_params[kind.param])
    except NotFound:
        return None


# --- lists and New ---------------------------------------------------------------------------------


def _list(kind: Kind) -> Any:
    @page
    def handler(admin: Admin) -> Response:
        with admin.ctx.db.read() as conn:
            if kind is PROFILES:
                names = [p.name for p in repo.list_profiles(conn, admin.org_id)]
            else:
                names = [r["name"] for r in repo.list_permission_sets(conn, admin.org_id)]
            found = [permissions.find_parent(conn, admin.org_id, kind.kind, n) for n in names]
        return admin.render(
            "setup/permission_parents.html",
            section=kind.href,
            kind=kind,
            parents=found,
            standard={p.name for p in found if permissions.is_standard(p)},
        )

    handler.__doc__ = f"GET {kind.href}: every {kind.singular} with its system permissions."
    return handler


def _new_page(admin: Admin, kind: Kind, values: dict[str, Any] | None, error: AdminError | None) -> Response:
    form = forms.form(kind.create, values, error=error)
    return admin.render(
        "setup/permission_new.html", section=kind.href, kind=kind, form=form, status=400 if error else 200
    )


def _new(kind: Kind) -> Any:
    @page
    def handler(admin: Admin) -> Response:
        return _new_page(admin, kind, None, None)

    handler.__doc__ = f"GET {kind.href}/new: the New form (name and system permissions)."
    return handler


def _create(kind: Kind) -> Any:
    def handler(admin: Admin, posted: FormData) -> Response:
        submission = forms.submit(kind.create, posted)
        try:
            values = submission.valid()
            changes = {k: v for k, v in values.items() if k not in ("name", "label")}
            with admin.ctx.db.write() as conn:
                if kind is PROFILES:
                    created = permissions.create_profile(
                        admin.ctx, conn, admin.org_id, values["name"], actor=admin.actor
                    )
                else:
                    access.create_permission_set(
                        admin.ctx, conn, admin.org_id, values["name"], values.get("label"), actor=admin.actor
                    )
                    created = permissions.find_parent(conn, admin.org_id, kind.kind, values["name"])
                permissions.apply_changes(admin.ctx, conn, admin.org_id, created, changes, actor=admin.actor)
        except AdminError as error:
            return _new_page(admin, kind, submission.body, error)
        return admin.redirect(kind.path(created.name), notice=kind.created)

    handler.__doc__ = f"POST {kind.href}/new: create it, then its page."
    return action(handler)


# --- one profile or permission set ------------------------------------------------------------------


def _parent_page(
    admin: Admin,
    template: str,
    kind: Kind,
    parent: store.Parent,
    error: AdminError | None,
    **values: Any,
) -> Response:
    """A page of one profile or permission set; 400 with the service's message when it refused."""
    return admin.render(
        template,
        section=kind.href,
        status=400 if error else 200,
        kind=kind,
        parent=parent,
        standard=permissions.is_standard(parent),
        error=error.message if error else None,
        **values,
    )


def _detail(
    admin: Admin, conn: Connection, kind: Kind, parent: store.Parent, error: AdminError | None = None
) -> Response:
    view = permissions.parent_view(conn, parent)
    system = forms.form(declared.CHANGES, view, names=declared.SYSTEM_PERMISSIONS, prefix="system")
    assigned = permissions.assigned_users(conn, parent) if kind is PERMISSION_SETS else []
    return _parent_page(
        admin,
        "setup/permission_parent.html",
        kind,
        parent,
        error,
        system=system,
        columns=OBJECT_COLUMNS,
        rows=permissions.object_matrix(conn, admin.org_id, parent),
        assigned=assigned,
        assignment=forms.form(declared.ASSIGNMENT, {}, prefix="assign"),
    )


def _show(kind: Kind) -> Any:
    @page
    def handler(admin: Admin) -> Response:
        with admin.ctx.db.read() as conn:
            parent = _parent_of(admin, conn, kind)
            if parent is None:
                return not_found(admin, kind.href, kind.singular)
            return _detail(admin, conn, kind, parent)

    handler.__doc__ = f"GET {kind.href}/{{{kind.param}}}: system permissions and the object matrix."
    return handler


def _matrix(posted: FormData, row: str) -> dict[str, dict[str, Any]]:
    """The rows a matrix form posted (hidden ``row`` inputs) with their checked flags: ``true`` for a
    checked box, any other value as posted (the declaration refuses it). A row no hidden input names
    is kept too, so the service refuses an unknown object or field rather than the page ignore it."""
    rows: dict[str, dict[str, Any]] = {str(name): {} for name in posted.getlist(row)}
    for key, value in posted.multi_items():
        prefix, _, rest = key.partition(":")
        name, _, flag = rest.rpartition(":")
        if prefix == row and name:
            rows.setdefault(name, {})[flag] = True if value == "true" else value
    return rows


def _change(
    admin: Admin,
    kind: Kind,
    changes: dict[str, Any],
    shown: Callable[[Connection, store.Parent, AdminError], Response],
    back: str,
    **query: str,
) -> Response:
    """Apply ``changes`` to the page's profile or permission set, then back to ``back`` (PRG, with
    ``query``); the page again with the service's message (400) when it refuses."""
    with admin.ctx.db.write() as conn:
        parent = _parent_of(admin, conn, kind)
        if parent is None:
            return not_found(admin, kind.href, kind.singular)
        try:
            if permissions.is_standard(parent):
                raise ValidationFailed(
                    f"{parent.name} is a standard profile: Setup does not change it; create a custom profile"
                )
            permissions.apply_changes(admin.ctx, conn, admin.org_id, parent, changes, actor=admin.actor)
        except AdminError as error:
            return shown(conn, parent, error)
    return admin.redirect(back, notice="permissions-saved", **query)


def _save(kind: Kind) -> Any:
    def handler(admin: Admin, posted: FormData) -> Response:
        system = forms.body(declared.CHANGES, posted, names=declared.SYSTEM_PERMISSIONS)
        changes = {**system, "object_permissions": _matrix(posted, "object")}
        name = admin.request.path_params[kind.param]
        return _change(
            admin,
            kind,
            changes,
            lambda conn, parent, error: _detail(admin, conn, kind, parent, error),
            kind.path(name),
        )

    handler.__doc__ = f"POST {kind.href}/{{{kind.param}}}: the system permissions and the object matrix."
    return action(handler)


def _fields_page(
    admin: Admin,
    conn: Connection,
    kind: Kind,
    parent: store.Parent,
    object_name: str,
    error: AdminError | None,
) -> Response:
    rows = None
    if object_name:
        try:
            rows = permissions.field_matrix(conn, admin.org_id, parent, object_name)
        except ValidationFailed:
            return not_found(admin, kind.href, "object")
    return _parent_page(
        admin,
        "setup/permission_fields.html",
        kind,
        parent,
        error,
        object_name=object_name,
        objects=permissions.object_matrix(conn, admin.org_id, parent),
        columns=FIELD_COLUMNS,
        rows=rows,
    )


def _fields(kind: Kind) -> Any:
    @page
    def handler(admin: Admin) -> Response:
        object_name = admin.request.query_params.get("object", "")[:80]
        with admin.ctx.db.read() as conn:
            parent = _parent_of(admin, conn, kind)
            if parent is None:
                return not_found(admin, kind.href, kind.singular)
            return _fields_page(admin, conn, kind, parent, object_name, None)

    handler.__doc__ = (
        f"GET {kind.href}/{{{kind.param}}}/fields?object=Account: an object's field permissions "
        "(without ``object``: the objects to pick from)."
    )
    return handler


def _save_fields(kind: Kind) -> Any:
    def handler(admin: Admin, posted: FormData) -> Response:
        object_name = str(posted.get("object") or "")[:80]
        name = admin.request.path_params[kind.param]
        return _change(
            admin,
            kind,
            {"field_permissions": _matrix(posted, "field")},
            lambda conn, parent, error: _fields_page(admin, conn, kind, parent, object_name, error),
            f"{kind.path(name)}/fields",
            object=object_name,
        )

    handler.__doc__ = f"POST {kind.href}/{{{kind.param}}}/fields: object, and the field matrix."
    return action(handler)


# --- a permission set's users ----------------------------------------------------------------------


def _assignment(remove: bool) -> Any:
    kind = PERMISSION_SETS

    def handler(admin: Admin, posted: FormData) -> Response:
        submission = forms.submit(declared.ASSIGNMENT, posted)
        with admin.ctx.db.write() as conn:
            parent = _parent_of(admin, conn, kind)
            if parent is None:
                return not_found(admin, kind.href, kind.singular)
            try:
                user = users.find_user(conn, admin.org_id, submission.valid()["user"])
                if remove:
                    permissions.unassign(admin.ctx, conn, parent, user, actor=admin.actor)
                else:
                    access.assign_permission_set(
                        admin.ctx, conn, admin.org_id, parent.name, user, actor=admin.actor
                    )
            except AdminError as error:
                return _detail(admin, conn, kind, parent, error)
        return admin.redirect(kind.path(parent.name), notice="assignment-saved")

    handler.__doc__ = (
        f"POST {kind.href}/{{permission_set}}/assignments{'/remove' if remove else ''}: user "
        "(record ID or username)."
    )
    return action(handler)


def _routes(kind: Kind) -> list[Route]:
    one = kind.href + "/{" + kind.param + "}"
    return [
        Route(kind.href, _list(kind), methods=["GET"]),
        Route(f"{kind.href}/new", _new(kind), methods=["GET"]),
        Route(f"{kind.href}/new", _create(kind), methods=["POST"]),
        Route(one, _show(kind), methods=["GET"]),
        Route(one, _save(kind), methods=["POST"]),
        Route(f"{one}/fields", _fields(kind), methods=["GET"]),
        Route(f"{one}/fields", _save_fields(kind), methods=["POST"]),
    ]


ROUTES: list[Route] = [
    *_routes(PROFILES),
    *_routes(PERMISSION_SETS),
    Route("/setup/permission-sets/{permission_set}/assignments", _assignment(False), methods=["POST"]),
    Route("/setup/permission-sets/{permission_set}/assignments/remove", _assignment(True), methods=["POST"]),
]

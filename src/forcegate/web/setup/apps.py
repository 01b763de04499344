"""App Manager (issue 12, items 2 and 3's first part): connected apps in the browser.

The list (``/setup/apps``), New Connected App, an app's page with its consumer key and staged secret
rotation, Edit, Delete (with a confirmation) and Manage Access (permitted users, pre-authorized
profiles and permission sets). The forms are the admin API's declarations
(``forcegate.resources.connected_app``); the work is the services' (``org.connected_apps``,
``org.credentials``, ``org.access``), as the admin API does it.

A consumer secret is shown once: in the answer to the POST that made it (New Connected App, or
"Generate a new consumer secret"), rendered straight from that POST and never from a URL, so no GET
of any page ever carries it again.

"Enable OAuth Settings": forcegate's connected apps are OAuth apps, so the box must be checked: a
form submitted without it is refused with a message saying so (nothing is stored for it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from starlette.datastructures import FormData
from starlette.responses import Response
from starlette.routing import Route

from forcegate.api_errors import AdminError
from forcegate.domain import ConnectedApp
from forcegate.flows.common import SUCCESS
from forcegate.org import access, credentials
from forcegate.org import connected_apps as apps
from forcegate.org.errors import ValidationFailed
from forcegate.resources import connected_app as declared
from forcegate.resources.base import Declaration
from forcegate.storage import repositories as repo
from forcegate.web import forms
from forcegate.web.setup.console import Admin, action, page

__all__ = ["ROUTES"]

SECTION = "/setup/apps"

# The New Connected App page's fields, in its sections and Salesforce's order.
BASIC_FIELDS = ("name", "contact_email", "description")
OAUTH_FIELDS = (
    "callback_urls",
    "scopes",
    "require_secret_for_web_server",
    "require_pkce",
    "user_agent_flow_enabled",
    "device_flow_enabled",
    "client_credentials_enabled",
    "client_credentials_user",
    "certificate_pem",
    "jwt_access_tokens",
)
POLICY_FIELDS = (
    "permitted_users",
    "ip_relaxation",
    "refresh_token_policy",
    "refresh_token_validity_seconds",
    "refresh_token_rotation",
    "access_token_lifetime_seconds",
    "is_enabled",
)
FIELDS = (*BASIC_FIELDS, *OAUTH_FIELDS, *POLICY_FIELDS)
OPTIONS: Mapping[str, Sequence[forms.Option]] = {"scopes": forms.SCOPE_OPTIONS}
LABELS: Mapping[str, str] = {**forms.LABELS, "name": "Connected App Name"}
HELPS: Mapping[str, str] = {
    "callback_urls": "https, a loopback http address (127.0.0.1, localhost) or a custom scheme",
    "scopes": "What the app may ask for; the consent page shows each with these words.",
    "certificate_pem": "Paste the certificate (PEM) or upload its file below; the JWT bearer flow verifies "
    "assertions with it.",
    "client_credentials_user": "The user the client credentials flow runs as (an active user).",
    "refresh_token_validity_seconds": "N of the two expiring refresh token policies.",
}

# The page's own controls, not settings of the app.
OAUTH_SWITCH = "enable_oauth_settings"
OAUTH_REFUSED = (
    "Enable OAuth Settings to give callback URLs and scopes: forcegate's connected apps are OAuth apps."
)
CERTIFICATE_FILE = "certificate_file"
REMOVE_CERTIFICATE = "remove_certificate"

# The flows an app may use, as the list's badges: (label, whether the app enables it).
FLOWS: tuple[tuple[str, Callable[[ConnectedApp], bool]], ...] = (
    ("Web Server", lambda app: True),  # every OAuth app: the authorization code flow needs no switch
    ("User-Agent", lambda app: app.user_agent_flow_enabled),
    ("Device", lambda app: app.device_flow_enabled),
    ("Client Credentials", lambda app: app.client_credentials_enabled),
    ("JWT Bearer", lambda app: app.jwt_bearer_enabled),
)


# --- finding the app of a URL ---------------------------------------------------------------------


def _not_found(admin: Admin) -> Response:
    return admin.not_found("No connected app has this ID: it may have been deleted.", section=SECTION)


def _find(admin: Admin) -> ConnectedApp | Response:
    """The app of the URL's ``{app}`` (its record ID), or the 404 page."""
    ref = str(admin.request.path_params["app"])
    try:
        with admin.ctx.db.read() as conn:
            return apps.find_app(conn, admin.org_id, ref)
    except AdminError:
        return _not_found(admin)


AppPage = Callable[[Admin, ConnectedApp], Response]
AppAction = Callable[[Admin, ConnectedApp, FormData], Response]


def _app_page(handler: AppPage) -> Callable[[Admin], Response]:
    """A GET page of one app (404 page for an unknown one)."""

    def run(admin: Admin) -> Response:
        app = _find(admin)
        return app if isinstance(app, Response) else handler(admin, app)

    run.__doc__ = handler.__doc__
    return run


def _app_action(handler: AppAction) -> Callable[[Admin, FormData], Response]:
    """A POST action on one app (404 page for an unknown one)."""

    def run(admin: Admin, form: FormData) -> Response:
        app = _find(admin)
        return app if isinstance(app, Response) else handler(admin, app, form)

    run.__doc__ = handler.__doc__
    return run


def _path(app: ConnectedApp, *rest: str) -> str:
    return "/".join((SECTION, app.id, *rest))


# --- the list ---------------------------------------------------------------------------------------


@page
def app_list(admin: Admin) -> Response:
    """GET /setup/apps: every app with its consumer key, flows, state and last use."""
    with admin.ctx.db.read() as conn:
        found = repo.list_apps(conn, admin.org_id)
        last_used = repo.apps_last_used(conn, admin.org_id, SUCCESS)
    rows = [
        {
            "app": app,
            "flows": [name for name, enabled in FLOWS if enabled(app)],
            "last_used_ms": last_used.get(app.id),
        }
        for app in found
    ]
    return admin.render("setup/apps/list.html", section=SECTION, rows=rows)


# --- the form (New Connected App and Edit) ----------------------------------------------------------


def _run_as_options(admin: Admin) -> tuple[forms.Option, ...]:
    with admin.ctx.db.read() as conn:
        return tuple(
            forms.Option(u.id, u.username) for u in repo.list_users(conn, admin.org_id) if u.is_active
        )


def _form_page(
    admin: Admin,
    declaration: Declaration,
    values: Mapping[str, Any] | None,
    *,
    app: ConnectedApp | None = None,
    error: AdminError | None = None,
    oauth_enabled: bool = True,
    status: int = 200,
) -> Response:
    """New Connected App (``app`` None) or Edit, showing ``values`` and ``error``."""
    switch_error = error.message if error is not None and error.field == OAUTH_SWITCH else None
    made = forms.form(
        declaration,
        values,
        names=FIELDS,
        options=OPTIONS,
        labels=LABELS,
        helps=HELPS,
        error=None if switch_error else error,
    )
    # Run As picks one of the org's active users (the declaration types it as a plain string).
    run_as = replace(
        made.control("client_credentials_user"), kind="select", options=_run_as_options(admin), blank=True
    )
    made = replace(made, controls=tuple(run_as if c.name == run_as.name else c for c in made.controls))
    switch = forms.Control(
        name=OAUTH_SWITCH,
        label="Enable OAuth Settings",
        kind="checkbox",
        checked=oauth_enabled,
        help="Callback URLs, scopes and the OAuth flows below.",
        error=switch_error,
    )
    return admin.render(
        "setup/apps/form.html",
        section=SECTION,
        status=status,
        app=app,
        form=made,
        switch=switch,
        basic=BASIC_FIELDS,
        oauth=OAUTH_FIELDS,
        policies=POLICY_FIELDS,
        action=_path(app, "edit") if app else SECTION + "/new",
        has_certificate=app is not None and app.certificate_pem is not None,
    )


def _posted(form: FormData) -> FormData:
    """The form as the declaration reads it: an uploaded certificate file stands for the PEM text,
    and "Remove the certificate" empties it (which removes it)."""
    uploaded = str(form.get(CERTIFICATE_FILE) or "")
    pem = "" if form.get(REMOVE_CERTIFICATE) else uploaded if uploaded.strip() else None
    if pem is None:
        return form
    return FormData(
        [(k, v) for k, v in form.multi_items() if k != "certificate_pem"] + [("certificate_pem", pem)]
    )


def _submitted(declaration: Declaration, form: FormData) -> tuple[forms.Submission, AdminError | None]:
    """The posted form validated by ``declaration``, refused also without Enable OAuth Settings."""
    submission = forms.submit(declaration, _posted(form), names=FIELDS, options=OPTIONS)
    if not form.get(OAUTH_SWITCH):
        return submission, ValidationFailed(OAUTH_REFUSED, OAUTH_SWITCH)
    return submission, submission.error


@page
def new_app(admin: Admin) -> Response:
    """GET /setup/apps/new: the New Connected App form, with Salesforce's defaults (Enable OAuth
    Settings unchecked, as there: checking it is a step of the seed's walk-through)."""
    return _form_page(admin, declared.CREATE, None, oauth_enabled=False)


def create(admin: Admin, form: FormData) -> Response:
    """POST /setup/apps/new: register the app and show its page with the consumer secret, once."""
    submission, error = _submitted(declared.CREATE, form)
    if error is None and submission.values is not None:
        try:
            with admin.ctx.db.write() as conn:
                app, secret = apps.create_app(
                    admin.ctx, conn, admin.org_id, actor=admin.actor, **submission.values
                )
        except AdminError as refused:
            error = refused
        else:
            return _detail(admin, app, secret=secret, status=201)
    return _form_page(
        admin,
        declared.CREATE,
        submission.body,
        error=error,
        oauth_enabled=bool(form.get(OAUTH_SWITCH)),
        status=400,
    )


def _edit_values(app: ConnectedApp) -> dict[str, Any]:
    return {**apps.app_view(app), "client_credentials_user": app.client_credentials_user_id}


def _update(admin: Admin, app: ConnectedApp, submission: forms.Submission) -> AdminError | None:
    """Apply a valid submission's changes to the app: the service's refusal, or None."""
    assert submission.values is not None
    try:
        with admin.ctx.db.write() as conn:
            apps.update_app(admin.ctx, conn, app, submission.values, actor=admin.actor)
    except AdminError as refused:
        return refused
    return None


@_app_page
def edit_app(admin: Admin, app: ConnectedApp) -> Response:
    """GET /setup/apps/{app}/edit: the form with the app's settings (never its secret)."""
    return _form_page(admin, declared.UPDATE, _edit_values(app), app=app)


@_app_action
def save(admin: Admin, app: ConnectedApp, form: FormData) -> Response:
    """POST /setup/apps/{app}/edit: change the app's settings."""
    submission, error = _submitted(declared.UPDATE, form)
    error = error or _update(admin, app, submission)
    if error is None:
        return admin.redirect(_path(app), notice="app-saved")
    values = {**_edit_values(app), **submission.body}
    return _form_page(
        admin,
        declared.UPDATE,
        values,
        app=app,
        error=error,
        oauth_enabled=bool(form.get(OAUTH_SWITCH)),
        status=400,
    )


# --- the app's page ---------------------------------------------------------------------------------


def _shown(name: str, value: Any) -> str:
    """A setting as the app's page words it: Yes/No, a choice in Setup's words, "—" for none."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None or value == "":
        return "—"
    if value in declared.UPDATE.field(name).choices:
        return forms.CHOICE_LABELS.get(value, str(value))
    return str(value)


# Settings the app's page shows in sections of their own: the name (the title), callback URLs, scopes
# and the certificate (its summary, never the PEM).
_SHOWN_APART = ("name", "callback_urls", "scopes", "certificate_pem")


def _settings(app: ConnectedApp, usernames: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, value) of each of the app's settings, in the form's order."""
    view = _edit_values(app)
    run_as = app.client_credentials_user_id
    view["client_credentials_user"] = usernames.get(run_as, run_as) if run_as else None
    return [(forms.label(n, LABELS), _shown(n, view[n])) for n in FIELDS if n not in _SHOWN_APART]


def _detail(
    admin: Admin,
    app: ConnectedApp,
    *,
    secret: str | None = None,
    error: AdminError | None = None,
    status: int = 200,
) -> Response:
    """The app's page; ``secret``: the one-time reveal of a consumer secret just made."""
    with admin.ctx.db.read() as conn:
        usernames = {u.id: u.username for u in repo.list_users(conn, admin.org_id)}
        last_used = repo.apps_last_used(conn, admin.org_id, SUCCESS).get(app.id)
        granted = repo.app_access_names(conn, app.id)
    scopes = {o.value: o.help for o in forms.SCOPE_OPTIONS}
    return admin.render(
        "setup/apps/detail.html",
        section=SECTION,
        status=status,
        app=app,
        secret=secret,
        error=error.message if error else None,
        settings=_settings(app, usernames),
        scopes=[(s, scopes.get(s, "")) for s in app.scopes],
        certificate=apps.certificate_summary(app.certificate_pem),
        flows=[name for name, enabled in FLOWS if enabled(app)],
        last_used_ms=last_used,
        granted=granted,
        path=_path(app),
    )


@_app_page
def show_app(admin: Admin, app: ConnectedApp) -> Response:
    """GET /setup/apps/{app}: the app's settings and consumer key (its secret never)."""
    return _detail(admin, app)


@_app_action
def rotate_secret(admin: Admin, app: ConnectedApp, form: FormData) -> Response:
    """POST /setup/apps/{app}/rotate-secret: a new consumer secret, shown once; the old one keeps
    working until revoked."""
    try:
        with admin.ctx.db.write() as conn:
            rotated, secret = credentials.rotate_secret(admin.ctx, conn, app, actor=admin.actor)
    except AdminError as refused:
        return _detail(admin, app, error=refused, status=refused.status)
    return _detail(admin, rotated, secret=secret)


@_app_action
def revoke_old_secret(admin: Admin, app: ConnectedApp, form: FormData) -> Response:
    """POST /setup/apps/{app}/revoke-old-secret: only the new consumer secret works from now on."""
    try:
        with admin.ctx.db.write() as conn:
            credentials.revoke_old_secret(admin.ctx, conn, app, actor=admin.actor)
    except AdminError as refused:
        return _detail(admin, app, error=refused, status=refused.status)
    return admin.redirect(_path(app), notice="secret-revoked")


# --- delete -----------------------------------------------------------------------------------------


@_app_page
def confirm_delete(admin: Admin, app: ConnectedApp) -> Response:
    """GET /setup/apps/{app}/delete: are you sure?"""
    return admin.render("setup/apps/delete.html", section=SECTION, app=app, path=_path(app))


@_app_action
def delete(admin: Admin, app: ConnectedApp, form: FormData) -> Response:
    """POST /setup/apps/{app}/delete: the app goes, and every token issued to it stops working."""
    with admin.ctx.db.write() as conn:
        apps.delete_app(admin.ctx, conn, app, actor=admin.actor)
    return admin.redirect(SECTION, notice="app-deleted")


# --- Manage Access ----------------------------------------------------------------------------------

ACCESS_FIELDS = ("permitted_users",)


def _access_page(
    admin: Admin,
    app: ConnectedApp,
    *,
    values: Mapping[str, Any] | None = None,
    error: AdminError | None = None,
    status: int = 200,
) -> Response:
    with admin.ctx.db.read() as conn:
        granted = repo.app_access_names(conn, app.id)
        profiles = [p.name for p in repo.list_profiles(conn, admin.org_id)]
        permission_sets = [str(s["name"]) for s in repo.list_permission_sets(conn, admin.org_id)]
    policy_error = error if error is not None and error.field in ACCESS_FIELDS else None
    policy = forms.form(
        declared.UPDATE, values or apps.app_view(app), names=ACCESS_FIELDS, labels=LABELS, error=policy_error
    )
    return admin.render(
        "setup/apps/access.html",
        section=SECTION,
        status=status,
        app=app,
        path=_path(app),
        policy=policy,
        error=error.message if error is not None and policy_error is None else None,
        granted=granted,
        profiles=[p for p in profiles if p not in granted["profiles"]],
        permission_sets=[s for s in permission_sets if s not in granted["permission_sets"]],
    )


@_app_page
def manage_access(admin: Admin, app: ConnectedApp) -> Response:
    """GET /setup/apps/{app}/access: who may use the app; pre-authorized profiles and permission sets."""
    return _access_page(admin, app)


@_app_action
def save_policy(admin: Admin, app: ConnectedApp, form: FormData) -> Response:
    """POST /setup/apps/{app}/access: the Permitted Users policy."""
    submission = forms.submit(declared.UPDATE, form, names=ACCESS_FIELDS)
    error = submission.error or _update(admin, app, submission)
    if error is None:
        return admin.redirect(_path(app, "access"), notice="access-saved")
    return _access_page(admin, app, values=submission.body, error=error, status=400)


def _grant(revoke: bool) -> Callable[[Admin, FormData], Response]:
    def run(admin: Admin, app: ConnectedApp, form: FormData) -> Response:
        try:
            with admin.ctx.db.write() as conn:
                access.grant_access(
                    admin.ctx,
                    conn,
                    app,
                    profile=str(form.get("profile") or "") or None,
                    permission_set=str(form.get("permission_set") or "") or None,
                    revoke=revoke,
                    actor=admin.actor,
                )
        except AdminError as refused:
            return _access_page(admin, app, error=refused, status=400)
        return admin.redirect(_path(app, "access"), notice="access-saved")

    run.__doc__ = (
        f"POST /setup/apps/{{app}}/access/{'remove' if revoke else 'add'}: profile or permission_set."
    )
    return _app_action(run)


ROUTES: list[Route] = [
    Route(SECTION, app_list, methods=["GET"]),
    Route(SECTION + "/new", new_app, methods=["GET"]),
    Route(SECTION + "/new", action(create), methods=["POST"]),
    Route(SECTION + "/{app}", page(show_app), methods=["GET"]),
    Route(SECTION + "/{app}/edit", page(edit_app), methods=["GET"]),
    Route(SECTION + "/{app}/edit", action(save), methods=["POST"]),
    Route(SECTION + "/{app}/delete", page(confirm_delete), methods=["GET"]),
    Route(SECTION + "/{app}/delete", action(delete), methods=["POST"]),
    Route(SECTION + "/{app}/rotate-secret", action(rotate_secret), methods=["POST"]),
    Route(SECTION + "/{app}/revoke-old-secret", action(revoke_old_secret), methods=["POST"]),
    Route(SECTION + "/{app}/access", page(manage_access), methods=["GET"]),
    Route(SECTION + "/{app}/access", action(save_policy), methods=["POST"]),
    Route(SECTION + "/{app}/access/add", action(_grant(revoke=False)), methods=["POST"]),
    Route(SECTION + "/{app}/access/remove", action(_grant(revoke=True)), methods=["POST"]),
]

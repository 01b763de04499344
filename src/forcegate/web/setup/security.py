"""Setup's Security Settings (the org's password flows, SOAP login, trusted IP ranges, lockout, API
allowance and Setup session) and Certificate and Key Management (the signing keys)."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.responses import Response
from starlette.routing import Route

from forcegate import keys
from forcegate.api_errors import AdminError
from forcegate.org import access
from forcegate.org import signing_keys as org_signing_keys
from forcegate.resources import org_settings
from forcegate.resources import signing_key as declared_key
from forcegate.storage import repositories as repo
from forcegate.storage import signing_keys
from forcegate.web import forms
from forcegate.web.setup.console import Admin, action, page

__all__ = ["KEYS_PATH", "ROUTES", "SECURITY_PATH"]

SECURITY_PATH = "/setup/security"
KEYS_PATH = "/setup/signing-keys"

# Setup's words for the settings (Salesforce's Session Settings, Password Policies, Network Access).
LABELS = {
    **forms.LABELS,
    "allow_username_password_flows": "Allow OAuth Username-Password Flows",
    "allow_soap_login": "Allow SOAP API login()",
    "max_login_attempts": "Maximum invalid login attempts (0: no limit)",
    "lockout_minutes": "Lockout effective period (minutes; 0: until an administrator unlocks)",
    "daily_api_requests": "Daily API request allowance",
    "admin_session_minutes": "Setup session timeout (minutes)",
}


def _settings_page(admin: Admin, form: forms.Form, status: int = 200) -> Response:
    return admin.render("setup/security.html", section=SECURITY_PATH, form=form, status=status)


@page
def security_settings(admin: Admin) -> Response:
    """GET /setup/security"""
    with admin.ctx.db.read() as conn:
        org = repo.org_by_id(conn, admin.org_id)
    assert org is not None
    return _settings_page(admin, forms.form(org_settings.UPDATE, access.org_view(org), labels=LABELS))


def _save_settings(admin: Admin, posted: FormData) -> Response:
    submission = forms.submit(org_settings.UPDATE, posted)
    error: AdminError | None = submission.error
    if submission.values is not None:
        try:
            with admin.ctx.db.write() as conn:
                org = repo.org_by_id(conn, admin.org_id)
                assert org is not None
                access.update_org(admin.ctx, conn, org, submission.values, actor=admin.actor)
        except AdminError as refused:  # trusted IP ranges that do not parse
            error = refused
    if error is not None:
        shown = forms.form(org_settings.UPDATE, submission.body, labels=LABELS, error=error)
        return _settings_page(admin, shown, status=400)
    return admin.redirect(SECURITY_PATH, notice="settings-saved")


def _keys_page(admin: Admin, error: str | None = None, status: int = 200) -> Response:
    with admin.ctx.db.read() as conn:
        now = admin.ctx.now_ms()
        found = [keys.key_view(k, now) for k in signing_keys.all_keys(conn)]
    found.sort(key=lambda k: int(k["kid"]) if str(k["kid"]).isdigit() else 0, reverse=True)
    return admin.render("setup/signing_keys.html", section=KEYS_PATH, keys=found, error=error, status=status)


@page
def signing_key_list(admin: Admin) -> Response:
    """GET /setup/signing-keys"""
    return _keys_page(admin)


def _rotate(admin: Admin, posted: FormData) -> Response:
    with admin.ctx.db.write() as conn:
        org_signing_keys.rotate(admin.ctx, conn, admin.org_id, actor=admin.actor)
    admin.ctx.keys.reload()
    return admin.redirect(KEYS_PATH, notice="key-rotated")


def _retire(admin: Admin, posted: FormData) -> Response:
    kid = admin.request.path_params["kid"]
    values = declared_key.RETIRE.validate({"kid": kid, "force": posted.get("force") == "true"})
    try:
        with admin.ctx.db.write() as conn:
            org_signing_keys.retire(
                admin.ctx, conn, admin.org_id, kid, force=values["force"], actor=admin.actor
            )
    except keys.NoSuchKey:
        return _keys_page(admin, error=f"There is no signing key {kid}.", status=404)
    except keys.RetireRefused as refused:
        return _keys_page(admin, error=f"Not retired: {refused}.", status=409)
    admin.ctx.keys.reload()
    return admin.redirect(KEYS_PATH, notice="key-retired")


ROUTES: list[Route] = [
    Route(SECURITY_PATH, security_settings, methods=["GET"]),
    Route(SECURITY_PATH, action(_save_settings), methods=["POST"]),
    Route(KEYS_PATH, signing_key_list, methods=["GET"]),
    Route(f"{KEYS_PATH}/rotate", action(_rotate), methods=["POST"]),
    Route(KEYS_PATH + "/{kid}/retire", action(_retire), methods=["POST"]),
]

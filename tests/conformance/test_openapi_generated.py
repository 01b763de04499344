"""The admin API's OpenAPI document is generated from the resources' declarations (issue 11): it is valid
OpenAPI 3.1 (openapi-spec-validator's 3.1 validator, a dev dependency), lists every admin route the
Starlette app serves, and every field each route accepts — a body that sets every declared field is
accepted, and the document shows each field's bounds and choices as declared."""

from __future__ import annotations

import datetime
import secrets
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from openapi_spec_validator import OpenAPIV31SpecValidator
from starlette.routing import Route

from forcegate.context import Context
from forcegate.resources import connected_app, credentials, permissions, user
from forcegate.resources.base import Declaration
from forcegate.storage.migrate import upgrade
from forcegate.web.admin import OPENAPI, OPERATIONS, ROUTES
from forcegate.web.app import create_app
from tests.support.data_api import admin_client
from tests.support.server import Server, make_settings

PREFIX = "/admin/api/v1"
METHODS = {"get", "put", "post", "patch", "delete"}


def _documented() -> set[tuple[str, str]]:
    return {(path, method) for path, item in OPENAPI["paths"].items() for method in item if method in METHODS}


def _schema(name: str) -> dict[str, Any]:
    return dict(OPENAPI["components"]["schemas"][name])


def _bodies() -> dict[tuple[str, str], Declaration]:
    return {(op.path, op.method.lower()): op.body for op in OPERATIONS if op.body is not None}


def test_document_validates_as_openapi_3_1() -> None:
    assert OPENAPI["openapi"].startswith("3.1.")
    errors = list(OpenAPIV31SpecValidator(OPENAPI).iter_errors())
    assert errors == []


def test_every_admin_route_of_the_app_is_documented(tmp_path: Path) -> None:
    """The Starlette app's routes under /admin/api/v1, not the module's table: a route added to the
    app some other way would be missed by a comparison with ROUTES."""
    ctx = Context.from_settings(make_settings(f"sqlite:///{tmp_path / 'routes.db'}", tmp_path))
    upgrade(ctx.db)
    try:
        app = create_app(ctx, "http://127.0.0.1")
        served = {
            (route.path, method.lower())
            for route in app.routes
            if isinstance(route, Route) and route.path.startswith(PREFIX)
            for method in route.methods or ()
            if method != "HEAD"
        }
    finally:
        ctx.db.dispose()
    assert served == _documented()
    assert served == {(path, method.lower()) for path, method, _ in ROUTES}


def test_every_declared_field_is_documented_with_its_rules() -> None:
    checked = 0
    for (path, method), declaration in _bodies().items():
        operation = OPENAPI["paths"][path][method]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = _schema(ref.rsplit("/", 1)[1])
        assert schema["additionalProperties"] is False, (path, method)
        fields = declaration.fields()
        assert set(schema["properties"]) == {f.name for f in fields}, (path, method)
        assert set(schema.get("required", ())) == {f.name for f in fields if f.required}, (path, method)
        for spec in fields:
            prop = schema["properties"][spec.name]
            flat = {k: v for option in [prop, *prop.get("anyOf", ())] for k, v in option.items()}
            assert prop.get("description", "") == spec.help, (path, spec.name)
            if spec.choices:
                assert tuple(flat["enum"]) == spec.choices, (path, spec.name)
            for rule, key in (
                ("minimum", "minimum"),
                ("maximum", "maximum"),
                ("min_length", "minLength" if spec.type is str else "minItems"),
                ("max_length", "maxLength"),
            ):
                if getattr(spec, rule) is not None:
                    assert flat[key] == getattr(spec, rule), (path, spec.name, rule)
            if spec.secret:
                assert prop["writeOnly"] is True
            checked += 1
    assert checked >= 40


def test_update_documents_no_defaults_and_create_documents_them() -> None:
    update = _schema("ConnectedAppUpdate")["properties"]
    create = _schema("ConnectedAppCreate")["properties"]
    assert all("default" not in prop for prop in update.values())
    assert create["access_token_lifetime_seconds"]["default"] == 7200
    assert create["permitted_users"]["default"] == "all_self_authorize"


# --- every field each route accepts, accepted over HTTP -------------------------------------------


def _certificate_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "openapi fields test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _sets_every_field(body: dict[str, Any], declaration: Declaration) -> dict[str, Any]:
    """The body, after checking that it sets every field the declaration has (a new field must be
    added here, where the test shows the route accepts it)."""
    assert set(body) == {f.name for f in declaration.fields()}, declaration.name
    return body


@pytest.mark.storage
def test_a_body_setting_every_field_is_accepted_by_each_route(server: Server) -> None:
    run_as = server.create_user(profile="Standard User")
    tag = secrets.token_hex(4)
    app_body = {
        "name": f"every-field-{tag}",
        "callback_urls": ["https://every.example.com/cb"],
        "scopes": "api refresh_token",
        "is_enabled": True,
        "require_secret_for_web_server": False,
        "require_pkce": True,
        "access_token_lifetime_seconds": 900,
        "user_agent_flow_enabled": False,
        "device_flow_enabled": True,
        "client_credentials_enabled": True,
        "client_credentials_user": run_as.username,
        "certificate_pem": _certificate_pem(),
        "permitted_users": "admin_approved",
        "refresh_token_policy": "expire_after",
        "refresh_token_validity_seconds": 3600,
        "refresh_token_rotation": True,
        "jwt_access_tokens": True,
        "contact_email": f"owner-{tag}@example.com",
        "description": "Every field set",
        "ip_relaxation": "BYPASS",
    }
    user_body = {
        "username": f"every-{tag}@example.com",
        "password": "Every1field",
        "profile": "Standard User",
        "email": f"every-{tag}@example.org",
        "first_name": "Every",
        "last_name": "Field",
    }
    user_changes = {
        "is_active": True,
        "profile": "Standard User",
        "password": "Every2field",
        "email": f"changed-{tag}@example.org",
        "first_name": "Changed",
        "last_name": "Fields",
        "unlock": True,
        "reset_security_token": True,
    }
    grants = {
        "api_enabled": True,
        "view_all_data": False,
        "modify_all_data": False,
        "manage_connected_apps": False,
        "manage_users": False,
        "object_permissions": {"Account": {"read": True, "edit": True}},
        "field_permissions": {"Account.Phone": {"read": True, "edit": False}},
    }
    with admin_client(server) as admin:
        app = admin.post(f"{PREFIX}/connected-apps", json=_sets_every_field(app_body, connected_app.CREATE))
        assert app.status_code == 201, app.text
        changes = {**app_body, "name": f"every-field-{tag}-2", "certificate_pem": None}
        patched = admin.patch(
            f"{PREFIX}/connected-apps/{app.json()['id']}",
            json=_sets_every_field(changes, connected_app.UPDATE),
        )
        assert patched.status_code == 200, patched.text
        shown = patched.json()
        assert {k: shown[k] for k in changes if k in shown} == {
            k: v for k, v in changes.items() if k in shown
        }

        created = admin.post(f"{PREFIX}/users", json=_sets_every_field(user_body, user.CREATE))
        assert created.status_code == 201, created.text
        user_id = created.json()["id"]
        changed = admin.patch(f"{PREFIX}/users/{user_id}", json=_sets_every_field(user_changes, user.UPDATE))
        assert changed.status_code == 200, changed.text

        profile = {"name": f"Every {tag}", **grants}
        made = admin.post(f"{PREFIX}/profiles", json=_sets_every_field(profile, permissions.PROFILE_CREATE))
        assert made.status_code == 201, made.text
        assert made.json()["object_permissions"]["Account"]["edit"] is True
        again = admin.patch(
            f"{PREFIX}/profiles/Every {tag}", json=_sets_every_field(grants, permissions.CHANGES)
        )
        assert again.status_code == 200, again.text

        permission_set = {"name": f"Every_{tag}", "label": "Every field", **grants}
        made = admin.post(
            f"{PREFIX}/permission-sets",
            json=_sets_every_field(permission_set, permissions.PERMISSION_SET_CREATE),
        )
        assert made.status_code == 201, made.text
        assert made.json()["label"] == "Every field"
        again = admin.patch(
            f"{PREFIX}/permission-sets/Every_{tag}", json=_sets_every_field(grants, permissions.CHANGES)
        )
        assert again.status_code == 200, again.text
        assigned = admin.post(
            f"{PREFIX}/permission-sets/Every_{tag}/assignments",
            json=_sets_every_field({"user": user_id}, permissions.ASSIGNMENT),
        )
        assert assigned.status_code == 200, assigned.text

        app_id = app.json()["id"]
        revoked = admin.post(
            f"{PREFIX}/connected-apps/{app_id}/revoke-tokens",
            json=_sets_every_field({"user": user_id}, credentials.APP_TOKEN_REVOCATION),
        )
        assert revoked.status_code == 200, revoked.text
        revoked = admin.post(
            f"{PREFIX}/users/{user_id}/revoke-tokens",
            json=_sets_every_field({"app": app_id}, credentials.USER_TOKEN_REVOCATION),
        )
        assert revoked.status_code == 200, revoked.text
        rotated = admin.post(
            f"{PREFIX}/connected-apps/{app_id}/rotate-secret",
            json=_sets_every_field({}, credentials.NO_FIELDS),
        )
        assert rotated.status_code == 200, rotated.text


@pytest.mark.storage
@pytest.mark.parametrize(
    ("path", "method"), sorted(_bodies()), ids=[f"{m} {p}" for p, m in sorted(_bodies())]
)
def test_a_field_no_declaration_has_is_refused_by_each_route(server: Server, path: str, method: str) -> None:
    """The document says additionalProperties: false; the route agrees, naming no field."""
    with admin_client(server) as admin:
        target = server.create_user(profile="Standard User")
        app, _ = server.create_app()
        permission_set = f"Refusing_{secrets.token_hex(4)}"
        assert admin.post(f"{PREFIX}/permission-sets", json={"name": permission_set}).status_code == 201
        url = path.replace("{ref}", app.id if "connected-apps" in path else target.id)
        url = url.replace("{name}", "Standard User" if "/profiles/" in path else permission_set)
        response = admin.request(method.upper(), url, json={"no_such_field": 1})
    body = response.json()
    assert response.status_code == 400, response.text
    assert body[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert "no_such_field" in body[0]["message"]
    assert "fields" not in body[0]

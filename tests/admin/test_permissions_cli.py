"""``forcegate profiles`` and ``forcegate permission-sets``: defining what users may do in the data API."""

from __future__ import annotations

from tests.support.admin_cli import Cli

NONE = {
    "read": False,
    "create": False,
    "edit": False,
    "delete": False,
    "view_all": False,
    "modify_all": False,
}


def test_when_profile_created_and_updated_then_permissions_shown(cli: Cli) -> None:
    created = cli.json(
        "profiles", "create", "--name", "Support", "--api-enabled", "--object", "Case:read,edit",
        "--field", "Case.Subject:read",
    )  # fmt: skip
    assert created["api_enabled"] is True
    assert created["object_permissions"] == {"Case": {**NONE, "read": True, "edit": True}}
    assert created["field_permissions"] == {"Case.Subject": {"read": True, "edit": False}}
    updated = cli.json(
        "profiles", "update", "support", "--api-disabled", "--object", "case:", "--object", "lead:read"
    )
    assert updated["api_enabled"] is False and updated["object_permissions"] == {
        "Lead": {**NONE, "read": True}
    }
    names = {p["name"] for p in cli.json("profiles", "list")}
    assert {"System Administrator", "Standard User", "Minimum Access", "Support"} <= names
    assert cli.json("profiles", "show", "Minimum Access")["api_enabled"] is False


def test_when_permission_set_granted_assigned_and_unassigned_then_user_view_follows(cli: Cli) -> None:
    cli.json("permission-sets", "create", "--name", "Deleters")
    changed = cli.json(
        "permission-sets", "update", "Deleters", "--object", "Account:delete", "--view-all-data"
    )
    assert changed["view_all_data"] is True
    assert changed["object_permissions"]["Account"] == {**NONE, "read": True, "edit": True, "delete": True}
    cli.json("users", "create", "--username", "dee@example.com", "--password", "Passw0rd-123")
    assert cli.json("permission-sets", "assign", "Deleters", "--user", "dee@example.com")[
        "permission_sets"
    ] == ["Deleters"]
    assert (
        cli.json("permission-sets", "unassign", "Deleters", "--user", "dee@example.com")["permission_sets"]
        == []
    )
    assert cli.json("permission-sets", "show", "Deleters")["name"] == "Deleters"


def test_when_permission_spec_invalid_then_command_fails_and_says_why(cli: Cli) -> None:
    assert (
        "expected NAME:PERMS" in cli.run("profiles", "update", "Standard User", "--object", "Account").stderr
    )
    assert (
        "expected NAME:PERMS"
        in cli.run("profiles", "update", "Standard User", "--object", "Account:fly").stderr
    )
    assert "no object named" in cli.refusal(
        "profiles", "update", "Standard User", "--object", "Nothing__c:read"
    )
    assert "cannot change" in cli.refusal("profiles", "update", "Standard User", "--field", "Account.Name:")
    assert "no profile named" in cli.refusal("profiles", "show", "Nobody")
    cli.json("users", "create", "--username", "ann@example.com", "--password", "Passw0rd-123")
    assert "no permission set named" in cli.refusal(
        "permission-sets", "unassign", "Nothing", "--user", "ann@example.com"
    )
    cli.json("permission-sets", "create", "--name", "Spare")
    assert "not assigned" in cli.refusal("permission-sets", "unassign", "Spare", "--user", "ann@example.com")


def test_when_daily_api_requests_set_then_org_shows_it(cli: Cli) -> None:
    assert cli.json("org", "show")["daily_api_requests"] == 100_000
    assert cli.json("org", "update", "--daily-api-requests", "25")["daily_api_requests"] == 25
    assert "non-negative" in cli.refusal("org", "update", "--daily-api-requests", "-1")

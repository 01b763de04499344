"""data API: object permissions, field-level security, API request limits

Revision ID: 0006
Revises: 0005

Existing orgs get what a new org gets (``forcegate.org.permissions.ensure_standard_profiles``), frozen
here as it was when this revision was written: "System Administrator" with API Enabled, View All Data
and Modify All Data; "Standard User" with API Enabled and read/create/edit on the standard objects;
a new "Minimum Access" profile with nothing.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

from forcegate.ids import KeyPrefix, new_id

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SYSTEM_PERMISSIONS = ("api_enabled", "view_all_data", "modify_all_data")
_STANDARD_USER_OBJECTS = {
    "Account": (True, True, True),
    "Contact": (True, True, True),
    "Opportunity": (True, True, True),
    "Lead": (True, True, True),
    "Case": (True, True, True),
    "User": (True, False, False),
    "Organization": (True, False, False),
}


def upgrade() -> None:
    op.add_column(
        "orgs", sa.Column("daily_api_requests", sa.Integer(), server_default="100000", nullable=False)
    )
    for table in ("profiles", "permission_sets"):
        for name in _SYSTEM_PERMISSIONS:
            op.add_column(table, sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "object_permissions",
        sa.Column("parent_id", sa.String(length=18), nullable=False),
        sa.Column("object_name", sa.String(length=80), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("can_read", sa.Boolean(), nullable=False),
        sa.Column("can_create", sa.Boolean(), nullable=False),
        sa.Column("can_edit", sa.Boolean(), nullable=False),
        sa.Column("can_delete", sa.Boolean(), nullable=False),
        sa.Column("view_all", sa.Boolean(), nullable=False),
        sa.Column("modify_all", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_object_permissions_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("parent_id", "object_name", name=op.f("pk_object_permissions")),
    )
    op.create_table(
        "field_permissions",
        sa.Column("parent_id", sa.String(length=18), nullable=False),
        sa.Column("object_name", sa.String(length=80), nullable=False),
        sa.Column("field_name", sa.String(length=80), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("can_read", sa.Boolean(), nullable=False),
        sa.Column("can_edit", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_field_permissions_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("parent_id", "object_name", "field_name", name=op.f("pk_field_permissions")),
    )
    op.create_table(
        "api_request_counts",
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_api_request_counts_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("org_id", "day", name=op.f("pk_api_request_counts")),
    )
    _standard_profiles_for_existing_orgs()


def _standard_profiles_for_existing_orgs() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    orgs = sa.Table("orgs", meta, autoload_with=conn)
    profiles = sa.Table("profiles", meta, autoload_with=conn)
    object_permissions = sa.Table("object_permissions", meta, autoload_with=conn)
    for (org_id,) in conn.execute(sa.select(orgs.c.id)).all():
        by_name = {
            row.name: row.id
            for row in conn.execute(
                sa.select(profiles.c.id, profiles.c.name).where(profiles.c.org_id == org_id)
            )
        }
        if "System Administrator" in by_name:
            conn.execute(
                profiles.update()
                .where(profiles.c.id == by_name["System Administrator"])
                .values(api_enabled=True, view_all_data=True, modify_all_data=True)
            )
        if "Standard User" in by_name:
            standard_user = by_name["Standard User"]
            conn.execute(profiles.update().where(profiles.c.id == standard_user).values(api_enabled=True))
            conn.execute(
                object_permissions.insert(),
                [
                    {
                        "parent_id": standard_user,
                        "object_name": name,
                        "org_id": org_id,
                        "can_read": read,
                        "can_create": create,
                        "can_edit": edit,
                        "can_delete": False,
                        "view_all": False,
                        "modify_all": False,
                    }
                    for name, (read, create, edit) in _STANDARD_USER_OBJECTS.items()
                ],
            )
        if "Minimum Access" not in by_name:
            conn.execute(
                profiles.insert().values(
                    id=new_id(KeyPrefix.PROFILE),
                    org_id=org_id,
                    name="Minimum Access",
                    manage_connected_apps=False,
                    manage_users=False,
                    created_ms=time.time_ns() // 1_000_000,
                )
            )


def downgrade() -> None:
    op.drop_table("api_request_counts")
    op.drop_table("field_permissions")
    op.drop_table("object_permissions")
    with op.batch_alter_table("permission_sets") as batch:
        for name in _SYSTEM_PERMISSIONS:
            batch.drop_column(name)
    with op.batch_alter_table("profiles") as batch:
        for name in _SYSTEM_PERMISSIONS:
            batch.drop_column(name)
    with op.batch_alter_table("orgs") as batch:
        batch.drop_column("daily_api_requests")

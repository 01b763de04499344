"""demo credentials, kept encrypted so ``forcegate demo show`` can print them again

``forcegate serve --demo`` prints the demo admin's password and the demo app's secret once; a newcomer
who missed them (or whose port was taken) needs them again. The password is hashed in ``users``, so
the demo's copy is kept here, encrypted under the server key like consumer secrets.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "demo_credentials",
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("admin_user_id", sa.String(length=18), nullable=False),
        sa.Column("admin_password_encrypted", sa.Text(), nullable=False),
        sa.Column("app_id", sa.String(length=18), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_demo_credentials_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["admin_user_id"],
            ["users.id"],
            name=op.f("fk_demo_credentials_admin_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["connected_apps.id"],
            name=op.f("fk_demo_credentials_app_id_connected_apps"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_demo_credentials")),
    )


def downgrade() -> None:
    op.drop_table("demo_credentials")

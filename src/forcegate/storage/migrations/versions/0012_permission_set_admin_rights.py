"""the administrative rights become system permissions of permission sets too (issue 12: "only users
whose profile or a permission set has the admin right get in")

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

RIGHTS = ("manage_connected_apps", "manage_users")


def upgrade() -> None:
    with op.batch_alter_table("permission_sets", schema=None) as batch_op:
        for name in RIGHTS:
            batch_op.add_column(sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("permission_sets", schema=None) as batch_op:
        for name in reversed(RIGHTS):
            batch_op.drop_column(name)

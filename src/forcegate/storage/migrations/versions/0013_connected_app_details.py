"""a connected app's contact email, description and IP Relaxation (issue 12, New Connected App)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connected_apps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_email", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("ip_relaxation", sa.String(length=32), server_default="ENFORCE", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("connected_apps", schema=None) as batch_op:
        batch_op.drop_column("ip_relaxation")
        batch_op.drop_column("description")
        batch_op.drop_column("contact_email")

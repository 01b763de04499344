"""the Setup Audit Trail: every configuration change, who made it, through what, from where (issue 12)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "setup_audit_trail",
        sa.Column("id", sa.String(18), nullable=False),
        sa.Column("org_id", sa.String(18), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("actor_user_id", sa.String(18), nullable=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("source_ip", sa.String(45), nullable=True),
        sa.Column("section", sa.String(40), nullable=False),
        sa.Column("action", sa.String(120), nullable=False),
        sa.Column("display", sa.String(1000), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name="fk_setup_audit_trail_org_id_orgs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name="fk_setup_audit_trail_actor_user_id_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_setup_audit_trail"),
    )
    op.create_index("ix_setup_audit_trail_org_time", "setup_audit_trail", ["org_id", "created_ms"])


def downgrade() -> None:
    op.drop_index("ix_setup_audit_trail_org_time", table_name="setup_audit_trail")
    op.drop_table("setup_audit_trail")

"""token lifecycle: revocation, introspection, consumer secret staging, housekeeping

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_jobs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("next_run_ms", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("lease_holder", sa.String(length=255), nullable=True),
        sa.Column("lease_until_ms", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("runs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_started_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_finished_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_result", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduled_jobs")),
    )
    with op.batch_alter_table("connected_apps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_consumer_secret_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("consumer_secret_rotated_ms", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_access_tokens_expires_ms", ["expires_ms"], unique=False)
    # Foreign keys that cascade from authorizations: housekeeping deletes grants in bulk.
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.create_index("ix_authorization_codes_authorization_id", ["authorization_id"], unique=False)
    with op.batch_alter_table("device_requests", schema=None) as batch_op:
        batch_op.create_index("ix_device_requests_authorization_id", ["authorization_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("device_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_device_requests_authorization_id")
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_authorization_codes_authorization_id")
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_access_tokens_expires_ms")
    with op.batch_alter_table("connected_apps", schema=None) as batch_op:
        batch_op.drop_column("consumer_secret_rotated_ms")
        batch_op.drop_column("previous_consumer_secret_encrypted")
    op.drop_table("scheduled_jobs")

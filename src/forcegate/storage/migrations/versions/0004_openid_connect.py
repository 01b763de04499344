"""OpenID Connect: signing keys, JWT access tokens

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=40), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("activated_ms", sa.BigInteger(), nullable=True),
        sa.Column("deactivated_ms", sa.BigInteger(), nullable=True),
        sa.Column("retire_after_ms", sa.BigInteger(), nullable=True),
        sa.Column("retired_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    with op.batch_alter_table("connected_apps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("jwt_access_tokens", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auth_time_ms", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_column("auth_time_ms")
    with op.batch_alter_table("connected_apps", schema=None) as batch_op:
        batch_op.drop_column("jwt_access_tokens")
    op.drop_table("signing_keys")

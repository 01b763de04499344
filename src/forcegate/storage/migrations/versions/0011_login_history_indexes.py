"""indexes for Setup's Login History filters (issue 12)

A user's logins (by record ID), the attempts naming a username no user has, and an app's logins, each
newest first: without them a filtered page read the org's whole history in time order. The app's index
also serves deleting an app, which clears its rows' ``app_id``.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_login_history_org_user_time", ["org_id", "user_id", "login_ms"]),
    ("ix_login_history_org_username_time", ["org_id", "username", "login_ms"]),
    ("ix_login_history_app_time", ["app_id", "login_ms"]),
]


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "login_history", columns)


def downgrade() -> None:
    for name, _columns in INDEXES:
        op.drop_index(name, table_name="login_history")

"""data API: object and field metadata, records, query locators

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_accounts",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("owner_id", sa.String(length=18), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.String(length=18), nullable=True),
        sa.Column("modified_ms", sa.BigInteger(), nullable=False),
        sa.Column("modified_by_id", sa.String(length=18), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=True),
        sa.Column("type", sa.String(length=255), nullable=True),
        sa.Column("industry", sa.String(length=255), nullable=True),
        sa.Column("rating", sa.String(length=255), nullable=True),
        sa.Column("annual_revenue", sa.Float(), nullable=True),
        sa.Column("number_of_employees", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("website", sa.String(length=255), nullable=True),
        sa.Column("billing_street", sa.Text(), nullable=True),
        sa.Column("billing_city", sa.String(length=40), nullable=True),
        sa.Column("billing_state", sa.String(length=80), nullable=True),
        sa.Column("billing_postal_code", sa.String(length=20), nullable=True),
        sa.Column("billing_country", sa.String(length=80), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("parent_id", sa.String(length=18), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_data_accounts_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_accounts")),
    )
    with op.batch_alter_table("data_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_data_accounts_org_modified", ["org_id", "modified_ms"], unique=False)
        batch_op.create_index("ix_data_accounts_org_name", ["org_id", "name"], unique=False)

    op.create_table(
        "data_cases",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("owner_id", sa.String(length=18), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.String(length=18), nullable=True),
        sa.Column("modified_ms", sa.BigInteger(), nullable=False),
        sa.Column("modified_by_id", sa.String(length=18), nullable=True),
        sa.Column("case_number", sa.String(length=30), nullable=False),
        sa.Column("account_id", sa.String(length=18), nullable=True),
        sa.Column("contact_id", sa.String(length=18), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=255), nullable=False),
        sa.Column("priority", sa.String(length=255), nullable=True),
        sa.Column("origin", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("is_closed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("closed_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_data_cases_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_cases")),
    )
    with op.batch_alter_table("data_cases", schema=None) as batch_op:
        batch_op.create_index("ix_data_cases_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_data_cases_contact_id", ["contact_id"], unique=False)
        batch_op.create_index("ix_data_cases_org_modified", ["org_id", "modified_ms"], unique=False)

    op.create_table(
        "data_contacts",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("owner_id", sa.String(length=18), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.String(length=18), nullable=True),
        sa.Column("modified_ms", sa.BigInteger(), nullable=False),
        sa.Column("modified_by_id", sa.String(length=18), nullable=True),
        sa.Column("account_id", sa.String(length=18), nullable=True),
        sa.Column("salutation", sa.String(length=40), nullable=True),
        sa.Column("first_name", sa.String(length=40), nullable=True),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=True),
        sa.Column("department", sa.String(length=80), nullable=True),
        sa.Column("email", sa.String(length=80), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("mobile_phone", sa.String(length=40), nullable=True),
        sa.Column("lead_source", sa.String(length=255), nullable=True),
        sa.Column("birthdate", sa.Date(), nullable=True),
        sa.Column("mailing_city", sa.String(length=40), nullable=True),
        sa.Column("mailing_country", sa.String(length=80), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_data_contacts_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_contacts")),
    )
    with op.batch_alter_table("data_contacts", schema=None) as batch_op:
        batch_op.create_index("ix_data_contacts_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_data_contacts_org_last_name", ["org_id", "last_name"], unique=False)
        batch_op.create_index("ix_data_contacts_org_modified", ["org_id", "modified_ms"], unique=False)

    op.create_table(
        "data_leads",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("owner_id", sa.String(length=18), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.String(length=18), nullable=True),
        sa.Column("modified_ms", sa.BigInteger(), nullable=False),
        sa.Column("modified_by_id", sa.String(length=18), nullable=True),
        sa.Column("salutation", sa.String(length=40), nullable=True),
        sa.Column("first_name", sa.String(length=40), nullable=True),
        sa.Column("last_name", sa.String(length=80), nullable=False),
        sa.Column("company", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=True),
        sa.Column("email", sa.String(length=80), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=255), nullable=False),
        sa.Column("lead_source", sa.String(length=255), nullable=True),
        sa.Column("industry", sa.String(length=255), nullable=True),
        sa.Column("rating", sa.String(length=255), nullable=True),
        sa.Column("annual_revenue", sa.Float(), nullable=True),
        sa.Column("number_of_employees", sa.Integer(), nullable=True),
        sa.Column("city", sa.String(length=40), nullable=True),
        sa.Column("country", sa.String(length=80), nullable=True),
        sa.Column("is_converted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_data_leads_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_leads")),
    )
    with op.batch_alter_table("data_leads", schema=None) as batch_op:
        batch_op.create_index("ix_data_leads_org_modified", ["org_id", "modified_ms"], unique=False)

    op.create_table(
        "data_objects",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_lower", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("plural_label", sa.String(length=255), nullable=False),
        sa.Column("key_prefix", sa.String(length=3), nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("org_column", sa.String(length=63), nullable=False),
        sa.Column("is_custom", sa.Boolean(), nullable=False),
        sa.Column("createable", sa.Boolean(), nullable=False),
        sa.Column("updateable", sa.Boolean(), nullable=False),
        sa.Column("deletable", sa.Boolean(), nullable=False),
        sa.Column("soft_delete", sa.Boolean(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_data_objects_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_objects")),
        sa.UniqueConstraint("org_id", "key_prefix", name="uq_data_objects_org_key_prefix"),
        sa.UniqueConstraint("org_id", "name_lower", name="uq_data_objects_org_name"),
    )
    op.create_table(
        "data_opportunities",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("owner_id", sa.String(length=18), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.String(length=18), nullable=True),
        sa.Column("modified_ms", sa.BigInteger(), nullable=False),
        sa.Column("modified_by_id", sa.String(length=18), nullable=True),
        sa.Column("account_id", sa.String(length=18), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("stage_name", sa.String(length=255), nullable=False),
        sa.Column("close_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("type", sa.String(length=255), nullable=True),
        sa.Column("lead_source", sa.String(length=255), nullable=True),
        sa.Column("is_closed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_won", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_data_opportunities_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_opportunities")),
    )
    with op.batch_alter_table("data_opportunities", schema=None) as batch_op:
        batch_op.create_index("ix_data_opportunities_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_data_opportunities_org_modified", ["org_id", "modified_ms"], unique=False)

    op.create_table(
        "data_schema_versions",
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_data_schema_versions_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_data_schema_versions")),
    )
    op.create_table(
        "query_locators",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("user_id", sa.String(length=18), nullable=True),
        sa.Column("soql", sa.Text(), nullable=False),
        sa.Column("include_deleted", sa.Boolean(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("total_size", sa.Integer(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_query_locators_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query_locators")),
    )
    with op.batch_alter_table("query_locators", schema=None) as batch_op:
        batch_op.create_index("ix_query_locators_expires_ms", ["expires_ms"], unique=False)

    op.create_table(
        "data_fields",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("org_id", sa.String(length=18), nullable=False),
        sa.Column("object_id", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_lower", sa.String(length=80), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("length", sa.Integer(), server_default="0", nullable=False),
        sa.Column("precision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("scale", sa.Integer(), server_default="0", nullable=False),
        sa.Column("nillable", sa.Boolean(), nullable=False),
        sa.Column("createable", sa.Boolean(), nullable=False),
        sa.Column("updateable", sa.Boolean(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("column_name", sa.String(length=63), nullable=True),
        sa.Column("expression", sa.Text(), nullable=True),
        sa.Column("reference_to", sa.String(length=80), nullable=True),
        sa.Column("relationship_name", sa.String(length=80), nullable=True),
        sa.Column("child_relationship_name", sa.String(length=80), nullable=True),
        sa.Column("picklist_values", sa.Text(), nullable=True),
        sa.Column("default_value", sa.Text(), nullable=True),
        sa.Column("is_custom", sa.Boolean(), nullable=False),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("is_name_field", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["data_objects.id"],
            name=op.f("fk_data_fields_object_id_data_objects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_data_fields_org_id_orgs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_fields")),
        sa.UniqueConstraint("object_id", "name_lower", name="uq_data_fields_object_name"),
    )


def downgrade() -> None:
    op.drop_table("data_fields")
    with op.batch_alter_table("query_locators", schema=None) as batch_op:
        batch_op.drop_index("ix_query_locators_expires_ms")

    op.drop_table("query_locators")
    op.drop_table("data_schema_versions")
    with op.batch_alter_table("data_opportunities", schema=None) as batch_op:
        batch_op.drop_index("ix_data_opportunities_org_modified")
        batch_op.drop_index("ix_data_opportunities_account_id")

    op.drop_table("data_opportunities")
    op.drop_table("data_objects")
    with op.batch_alter_table("data_leads", schema=None) as batch_op:
        batch_op.drop_index("ix_data_leads_org_modified")

    op.drop_table("data_leads")
    with op.batch_alter_table("data_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_data_contacts_org_modified")
        batch_op.drop_index("ix_data_contacts_org_last_name")
        batch_op.drop_index("ix_data_contacts_account_id")

    op.drop_table("data_contacts")
    with op.batch_alter_table("data_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_data_cases_org_modified")
        batch_op.drop_index("ix_data_cases_contact_id")
        batch_op.drop_index("ix_data_cases_account_id")

    op.drop_table("data_cases")
    with op.batch_alter_table("data_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_data_accounts_org_name")
        batch_op.drop_index("ix_data_accounts_org_modified")

    op.drop_table("data_accounts")

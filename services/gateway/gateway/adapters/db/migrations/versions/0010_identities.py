"""Identities: an identity provider's (issuer, subject) bound to a Gradeflow user, made the first
time its token is seen (just-in-time provisioning) — to the user a roster or enrollment made for
the same verified email, or to a new one.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0010", "0009"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("issuer", sa.String(500), primary_key=True),
        sa.Column("subject", sa.String(500), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("gateway.users.id"), nullable=False),
        kit.now_column("created_at"),
        schema="gateway",
    )
    kit.index_columns("gateway", "identities", "user_id")


def downgrade() -> None:
    op.drop_table("identities", schema="gateway")

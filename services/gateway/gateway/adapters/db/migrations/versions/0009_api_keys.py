"""API keys for integrations: hashed at rest, scoped, revocable, with their last use.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

import gradeflow_shared.migrations as kit

revision, down_revision = "0009", "0008"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("gateway.users.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(8), nullable=False, unique=True),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("scopes", ARRAY(sa.String(16)), nullable=False),
        kit.now_column("created_at"),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        schema="gateway",
    )
    kit.index_columns("gateway", "api_keys", "user_id")


def downgrade() -> None:
    op.drop_table("api_keys", schema="gateway")

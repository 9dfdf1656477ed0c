"""Idempotency keys: a POST's key per client, the request's fingerprint and, once answered, the
answer to give a retry.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import gradeflow_shared.migrations as kit

revision, down_revision = "0008", "0007"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("client", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer()),
        sa.Column("headers", JSONB()),
        sa.Column("body", sa.LargeBinary()),
        kit.now_column("created_at"),
        schema="gateway",
    )
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created_at"], schema="gateway")


def downgrade() -> None:
    op.drop_table("idempotency_keys", schema="gateway")

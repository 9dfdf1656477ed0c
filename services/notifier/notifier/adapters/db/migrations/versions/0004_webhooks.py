"""Webhook endpoints per user, and the endpoint a webhook delivery goes to.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0004", "0003"
branch_labels = depends_on = None
S = "notifier"


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey(f"{S}.recipients.user_id"), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        kit.now_column("created_at"),
        schema=S,
    )
    kit.index_columns(S, "webhooks", "user_id")
    op.add_column(
        "deliveries", sa.Column("webhook_id", sa.Uuid(), sa.ForeignKey(f"{S}.webhooks.id")), schema=S
    )
    kit.index_columns(S, "deliveries", "webhook_id")


def downgrade() -> None:
    op.drop_column("deliveries", "webhook_id", schema=S)
    op.drop_table("webhooks", schema=S)

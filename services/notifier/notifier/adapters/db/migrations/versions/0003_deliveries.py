"""Deliveries (a notification sent by email, later by webhook) with their state, and each user's
preferences per channel and category.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0003", "0002"
branch_labels = depends_on = None
S = "notifier"


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("notification_id", sa.Uuid(), sa.ForeignKey(f"{S}.notifications.id"), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(2048), nullable=False),
        sa.Column("state", sa.String(16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text()),
        kit.now_column("next_attempt_at"),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        kit.now_column("created_at"),
        sa.CheckConstraint("state IN ('pending', 'sent', 'failed')", name="ck_deliveries_state"),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name="ck_deliveries_channel"),
        schema=S,
    )
    kit.index_columns(S, "deliveries", "notification_id")
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["channel", "next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "preferences",
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey(f"{S}.recipients.user_id"), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("category", sa.String(16), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("preferences", schema=S)
    op.drop_table("deliveries", schema=S)

"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 09:01:51.173572
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("message_id"),
        schema="notifier",
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema="notifier",
    )
    op.create_index(
        "ix_notifications_user_created",
        "notifications",
        ["user_id", "created_at"],
        unique=False,
        schema="notifier",
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("routing_key", sa.String(length=200), nullable=False),
        sa.Column("message_type", sa.String(length=200), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema="notifier",
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema="notifier",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "recipients",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("user_id"),
        schema="notifier",
    )
    op.create_table(
        "memberships",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["notifier.recipients.user_id"],
        ),
        sa.PrimaryKeyConstraint("course_id", "user_id"),
        schema="notifier",
    )
    op.create_index(
        op.f("ix_notifier_memberships_user_id"),
        "memberships",
        ["user_id"],
        unique=False,
        schema="notifier",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notifier_memberships_user_id"), table_name="memberships", schema="notifier")
    op.drop_table("memberships", schema="notifier")
    op.drop_table("recipients", schema="notifier")
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        schema="notifier",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox", schema="notifier")
    op.drop_index("ix_notifications_user_created", table_name="notifications", schema="notifier")
    op.drop_table("notifications", schema="notifier")
    op.drop_table("inbox", schema="notifier")

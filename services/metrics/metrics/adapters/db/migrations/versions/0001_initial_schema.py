"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 09:01:52.936711
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
        schema="metrics",
    )
    op.create_table(
        "job_timings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("message_type", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("wait_ms", sa.Float(), nullable=True),
        sa.Column("processing_ms", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema="metrics",
    )
    op.create_index(
        "ix_job_timings_queue_finished",
        "job_timings",
        ["queue", "finished_at"],
        unique=False,
        schema="metrics",
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
        schema="metrics",
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema="metrics",
        postgresql_where=sa.text("published_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        schema="metrics",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox", schema="metrics")
    op.drop_index("ix_job_timings_queue_finished", table_name="job_timings", schema="metrics")
    op.drop_table("job_timings", schema="metrics")
    op.drop_table("inbox", schema="metrics")

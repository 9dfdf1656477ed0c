"""The metrics service's schema: job timings, queue samples and alerts.

The revisions before 0003 are squashed into this one, which keeps the head's id.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0003", None
branch_labels = depends_on = None
S = "metrics"


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("state IN ('raised', 'resolved')", name="ck_alerts_state"),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index("ix_alerts_raised_at", "alerts", ["raised_at"], schema=S)
    op.create_index(
        "ux_alerts_raised",
        "alerts",
        ["queue", "rule"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("state = 'raised'"),
    )
    op.create_table(
        "job_timings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("message_type", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("wait_ms", sa.Float()),
        sa.Column("processing_ms", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index("ix_job_timings_finished", "job_timings", ["finished_at"], schema=S)
    op.create_index("ix_job_timings_queue_finished", "job_timings", ["queue", "finished_at"], schema=S)
    op.create_table(
        "queue_samples",
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready", sa.Integer()),
        sa.Column("unacked", sa.Integer()),
        sa.Column("consumers", sa.Integer()),
        sa.Column("dead_letters", sa.Integer()),
        sa.Column("throughput_per_min", sa.Float(), nullable=False),
        sa.Column("wait_p95_ms", sa.Float()),
        sa.Column("processing_p95_ms", sa.Float()),
        sa.Column("failure_rate", sa.Float()),
        sa.Column("health_score", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("queue", "at"),
        schema=S,
    )
    kit.create_kit_tables(S)
    kit.add_outbox_parking(S)


def downgrade() -> None:
    op.drop_table("queue_samples", schema=S)
    op.drop_table("job_timings", schema=S)
    op.drop_table("alerts", schema=S)
    kit.drop_kit_tables(S)

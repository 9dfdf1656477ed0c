"""Queue samples (the history the dashboard draws) and alerts.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0002", "0001"
branch_labels = depends_on = None
S = "metrics"


def upgrade() -> None:
    op.create_table(
        "queue_samples",
        sa.Column("queue", sa.String(200), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("ready", sa.Integer()),
        sa.Column("unacked", sa.Integer()),
        sa.Column("consumers", sa.Integer()),
        sa.Column("dead_letters", sa.Integer()),
        sa.Column("throughput_per_min", sa.Float(), nullable=False),
        sa.Column("wait_p95_ms", sa.Float()),
        sa.Column("processing_p95_ms", sa.Float()),
        sa.Column("failure_rate", sa.Float()),
        sa.Column("health_score", sa.Integer(), nullable=False),
        schema=S,
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("queue", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("state IN ('raised', 'resolved')", name="ck_alerts_state"),
        schema=S,
    )
    op.create_index(
        "ux_alerts_raised",
        "alerts",
        ["queue", "rule"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("state = 'raised'"),
    )
    op.create_index("ix_alerts_raised_at", "alerts", ["raised_at"], schema=S)
    op.create_index("ix_job_timings_finished", "job_timings", ["finished_at"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_job_timings_finished", "job_timings", schema=S)
    op.drop_table("alerts", schema=S)
    op.drop_table("queue_samples", schema=S)

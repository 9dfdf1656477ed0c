"""The metrics schema: one row per message handled on a queue (job timings).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0001", None
branch_labels = depends_on = None
S = "metrics"


def upgrade() -> None:
    kit.create_kit_tables(S)
    op.create_table(
        "job_timings",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("queue", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(100), nullable=False),
        sa.Column("message_type", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("wait_ms", sa.Float()),
        sa.Column("processing_ms", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text()),
        schema=S,
    )
    op.create_index("ix_job_timings_queue_finished", "job_timings", ["queue", "finished_at"], schema=S)


def downgrade() -> None:
    op.drop_table("job_timings", schema=S)
    kit.drop_kit_tables(S)

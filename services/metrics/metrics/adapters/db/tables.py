"""The metrics schema: one row per message handled on a queue (job timings)."""

import sqlalchemy as sa

from gradeflow_shared.kit_tables import inbox_table, outbox_table

SCHEMA = "metrics"
metadata = sa.MetaData(schema=SCHEMA)

job_timings = sa.Table(
    "job_timings",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),  # the telemetry message id
    sa.Column("queue", sa.String(200), nullable=False),
    sa.Column("message_id", sa.String(100), nullable=False),
    sa.Column("message_type", sa.String(200), nullable=False),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("wait_ms", sa.Float),
    sa.Column("processing_ms", sa.Float, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("error", sa.Text),
    # Every stats query filters by queue and a time window.
    sa.Index("ix_job_timings_queue_finished", "queue", "finished_at"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

"""The metrics schema: one row per message handled on a queue (job timings)."""

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)

from gradeflow_shared.kit_tables import inbox_table, outbox_table

SCHEMA = "metrics"
metadata = MetaData(schema=SCHEMA)

job_timings = Table(
    "job_timings",
    metadata,
    Column("id", Uuid, primary_key=True),  # the telemetry message id
    Column("queue", String(200), nullable=False),
    Column("message_id", String(100), nullable=False),
    Column("message_type", String(200), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("wait_ms", Float),
    Column("processing_ms", Float, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("error", Text),
    # Every stats query filters by queue and a time window.
    Index("ix_job_timings_queue_finished", "queue", "finished_at"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

"""The metrics schema: one row per message handled on a queue (job timings), each queue's state
sampled over time (downsampled as it ages), and the alerts raised."""

import sqlalchemy as sa

from gradeflow_shared.kit_tables import inbox_table, key, outbox_table

SCHEMA = "metrics"
metadata = sa.MetaData(schema=SCHEMA)

job_timings = sa.Table(
    "job_timings",
    metadata,
    key(),  # the telemetry message id
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
    # The retention's delete goes by age alone.
    sa.Index("ix_job_timings_finished", "finished_at"),
)

# A queue as the monitor saw it, every few seconds; older samples are thinned to one a minute and
# dropped past the retention (settings: HISTORY_*).
queue_samples = sa.Table(
    "queue_samples",
    metadata,
    sa.Column("queue", sa.String(200), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("ready", sa.Integer),
    sa.Column("unacked", sa.Integer),
    sa.Column("consumers", sa.Integer),
    sa.Column("dead_letters", sa.Integer),
    sa.Column("throughput_per_min", sa.Float, nullable=False),
    sa.Column("wait_p95_ms", sa.Float),
    sa.Column("processing_p95_ms", sa.Float),
    sa.Column("failure_rate", sa.Float),
    sa.Column("health_score", sa.Integer, nullable=False),
)

alerts = sa.Table(
    "alerts",
    metadata,
    key(),
    sa.Column("queue", sa.String(200), nullable=False),
    sa.Column("rule", sa.String(32), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("state IN ('raised', 'resolved')", name="ck_alerts_state"),
    # One raised alert per queue and rule at most, whatever replicas evaluate.
    sa.Index("ux_alerts_raised", "queue", "rule", unique=True, postgresql_where=sa.text("state = 'raised'")),
    sa.Index("ix_alerts_raised_at", "raised_at"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

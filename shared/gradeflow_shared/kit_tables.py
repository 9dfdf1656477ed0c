"""Tables every service keeps in its own schema: the outbox (events to publish) and the inbox
(message ids already processed, for idempotent consumers); the columns of a run's limits, for the
services that store them; and the columns every schema declares alike (a UUID key, a time the
database stamps)."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from gradeflow_shared.limits import SPECS


def key(name: str = "id") -> sa.Column[object]:
    """A UUID primary key (or one column of a composite one)."""
    return sa.Column(name, sa.Uuid, primary_key=True)


def stamp(name: str = "created_at") -> sa.Column[object]:
    """A required time the database sets to the transaction's when the row is written."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "outbox",
        metadata,
        key(),  # the message id (UUIDv7: ordered by creation)
        sa.Column("routing_key", sa.String(200), nullable=False),
        sa.Column("message_type", sa.String(200), nullable=False),
        sa.Column("correlation_id", sa.String(100), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("headers", JSONB, nullable=False),
        stamp(),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        # A row the broker refused on its own (outbox.py): set aside with the broker's reason, so
        # that it never blocks the rows behind it.
        sa.Column("parked_at", sa.DateTime(timezone=True)),
        sa.Column("park_reason", sa.Text),
        # The relay's only lookup: unpublished rows in creation order.
        sa.Index("ix_outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL")),
    )


def inbox_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "inbox",
        metadata,
        sa.Column("message_id", sa.String(100), primary_key=True),
        sa.Column("queue", sa.String(200), nullable=False),
        stamp("processed_at"),
    )


def limit_columns() -> list[sa.Column[int]]:
    """One integer column per limit of shared/limits.py, NULL only where the limit may be derived."""
    return [
        sa.Column(spec.name, sa.Integer, nullable=spec.default is None)
        if spec.default is None
        else sa.Column(spec.name, sa.Integer, nullable=False, server_default=str(spec.default))
        for spec in SPECS.values()
    ]


def test_cases_table(metadata: sa.MetaData) -> sa.Table:
    """An assignment's tests (events.TestCaseSpec) as the gateway and the grader each keep them,
    under their own `assignments` table."""
    return sa.Table(
        "test_cases",
        metadata,
        key(),
        sa.Column("assignment_id", sa.Uuid, sa.ForeignKey("assignments.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("stdin", sa.Text, nullable=False),
        sa.Column("expected_stdout", sa.Text, nullable=False),
        sa.Column("weight", sa.Integer, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("comparison", sa.String(24), nullable=False, server_default="trailing_whitespace"),
        sa.Column("tolerance", sa.Float, nullable=False, server_default="1e-06"),
        # The suite's version it belongs to: every version's tests are kept (results refer to them).
        sa.Column("suite_version", sa.Integer, nullable=False, server_default="1"),
        sa.Index(f"ix_{metadata.schema}_test_cases_assignment_version", "assignment_id", "suite_version"),
    )

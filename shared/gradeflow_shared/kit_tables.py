"""Tables every service keeps in its own schema: the outbox (events to publish) and the inbox
(message ids already processed, for idempotent consumers); and the columns of a run's limits, for
the services that store them."""

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from gradeflow_shared.limits import SPECS


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", Uuid, primary_key=True),  # the message id (UUIDv7: ordered by creation)
        Column("routing_key", String(200), nullable=False),
        Column("message_type", String(200), nullable=False),
        Column("correlation_id", String(100), nullable=False),
        Column("body", Text, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        # The relay's only lookup: unpublished rows in creation order.
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("message_id", String(100), primary_key=True),
        Column("queue", String(200), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def limit_columns() -> list[Column[int]]:
    """One integer column per limit of shared/limits.py, NULL only where the limit may be derived."""
    return [
        Column(spec.name, Integer, nullable=spec.default is None)
        if spec.default is None
        else Column(spec.name, Integer, nullable=False, server_default=str(spec.default))
        for spec in SPECS.values()
    ]

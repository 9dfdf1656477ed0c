"""Tables every service keeps in its own schema: the outbox (events to publish) and the inbox
(message ids already processed, for idempotent consumers)."""

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB


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

"""The notifier's schema: recipients and course memberships copied from enrollment events, and
the in-app inbox."""

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from gradeflow_shared.kit_tables import inbox_table, outbox_table

SCHEMA = "notifier"
metadata = MetaData(schema=SCHEMA)

recipients = Table(
    "recipients",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

memberships = Table(
    "memberships",
    metadata,
    Column("course_id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("recipients.user_id"), primary_key=True, index=True),
    Column("role", String(16), nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("title", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("read_at", DateTime(timezone=True)),
    # The inbox API lists a user's newest notifications first.
    Index("ix_notifications_user_created", "user_id", "created_at"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

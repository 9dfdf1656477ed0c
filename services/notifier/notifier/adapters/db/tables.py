"""The notifier's schema: recipients, course memberships and parents' links copied from
enrollment events, and the in-app inbox."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from gradeflow_shared.kit_tables import inbox_table, key, outbox_table, stamp

SCHEMA = "notifier"
metadata = sa.MetaData(schema=SCHEMA)

recipients = sa.Table(
    "recipients",
    metadata,
    key("user_id"),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    stamp("updated_at"),
    # The user's own choice (never in enrollment events): low-priority emails gathered into one.
    sa.Column("digest", sa.Boolean, nullable=False, server_default=sa.false()),
)

# A course's settings as the gateway announces them (course.changed).
courses = sa.Table(
    "courses",
    metadata,
    key("course_id"),
    sa.Column("grades_to_parents", sa.Boolean, nullable=False),
)

memberships = sa.Table(
    "memberships",
    metadata,
    key("course_id"),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("recipients.user_id"), primary_key=True, index=True),
    sa.Column("role", sa.String(16), nullable=False),
)

# A parent follows one or more children in a course (enrollment events say which).
parent_links = sa.Table(
    "parent_links",
    metadata,
    key("course_id"),
    sa.Column("parent_id", sa.Uuid, sa.ForeignKey("recipients.user_id"), primary_key=True, index=True),
    key("student_id"),
    sa.Index("ix_parent_links_student", "student_id"),
)

notifications = sa.Table(
    "notifications",
    metadata,
    key(),
    sa.Column("user_id", sa.Uuid, nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("data", JSONB, nullable=False),
    stamp(),
    sa.Column("read_at", sa.DateTime(timezone=True)),
    sa.Column("category", sa.String(16)),
    sa.Column("priority", sa.String(8)),
    # The inbox API pages through a user's notifications newest first (created_at, id: the cursor)
    # and counts the unread.
    sa.Index("ix_notifications_user_created", "user_id", "created_at", "id"),
    sa.Index("ix_notifications_unread", "user_id", postgresql_where=sa.text("read_at IS NULL")),
)

# The course events fanned out (their message as each recipient's notification says it): a member
# whose enrollment arrives after the fan-out, though made before the event, is sent it on arrival.
course_events = sa.Table(
    "course_events",
    metadata,
    key("event_id"),
    sa.Column("course_id", sa.Uuid, nullable=False),
    sa.Column("audience", sa.String(16), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("message", JSONB, nullable=False),
    sa.Index("ix_course_events_course_published", "course_id", "published_at"),
)

# A user's webhook endpoints: every notification of theirs is also POSTed there, signed with the
# endpoint's secret (Standard Webhooks).
webhooks = sa.Table(
    "webhooks",
    metadata,
    key(),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("recipients.user_id"), nullable=False, index=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("secret", sa.String(100), nullable=False),
    stamp(),
)

# A notification on its way by a channel (email, webhook): the sender's work list and record.
deliveries = sa.Table(
    "deliveries",
    metadata,
    key(),  # derived from the notification and the channel
    sa.Column("notification_id", sa.Uuid, sa.ForeignKey("notifications.id"), nullable=False, index=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("address", sa.String(2048), nullable=False),
    sa.Column("webhook_id", sa.Uuid, sa.ForeignKey("webhooks.id"), index=True),  # a webhook's endpoint
    sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    stamp("next_attempt_at"),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    stamp(),
    sa.CheckConstraint("state IN ('pending', 'sent', 'failed')", name="ck_deliveries_state"),
    # digest: a low-priority email kept for the user's next digest (due when its window closes).
    sa.CheckConstraint("channel IN ('email', 'digest', 'webhook')", name="ck_deliveries_channel"),
    # The sender's only lookup: pending deliveries of a channel that are due.
    sa.Index(
        "ix_deliveries_due", "channel", "next_attempt_at", postgresql_where=sa.text("state = 'pending'")
    ),
)

# A user's choice per channel and category (no row: the channel is on).
preferences = sa.Table(
    "preferences",
    metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("recipients.user_id"), primary_key=True),
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("category", sa.String(16), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

"""The notifier's schema: recipients, courses, memberships and parents' links, the inbox, course
events, deliveries on their way, webhooks.

The revisions before 0007 are squashed into this one, which keeps the head's id.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import gradeflow_shared.migrations as kit

revision, down_revision = "0007", None
branch_labels = depends_on = None
S = "notifier"


def upgrade() -> None:
    op.create_table(
        "course_events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
        schema=S,
    )
    op.create_index(
        "ix_course_events_course_published", "course_events", ["course_id", "published_at"], schema=S
    )
    op.create_table(
        "courses",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("grades_to_parents", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("course_id"),
        schema=S,
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.Column("category", sa.String(length=16)),
        sa.Column("priority", sa.String(length=8)),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["user_id"],
        schema=S,
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index(
        "ix_notifications_user_created", "notifications", ["user_id", "created_at", "id"], schema=S
    )
    op.create_table(
        "recipients",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("digest", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        schema=S,
    )
    op.create_table(
        "memberships",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["notifier.recipients.user_id"],
        ),
        sa.PrimaryKeyConstraint("course_id", "user_id"),
        schema=S,
    )
    op.create_index(op.f("ix_notifier_memberships_user_id"), "memberships", ["user_id"], schema=S)
    op.create_table(
        "parent_links",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["notifier.recipients.user_id"],
        ),
        sa.PrimaryKeyConstraint("course_id", "parent_id", "student_id"),
        schema=S,
    )
    op.create_index(op.f("ix_notifier_parent_links_parent_id"), "parent_links", ["parent_id"], schema=S)
    op.create_index("ix_parent_links_student", "parent_links", ["student_id"], schema=S)
    op.create_table(
        "preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["notifier.recipients.user_id"],
        ),
        sa.PrimaryKeyConstraint("user_id", "channel", "category"),
        schema=S,
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["notifier.recipients.user_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index(op.f("ix_notifier_webhooks_user_id"), "webhooks", ["user_id"], schema=S)
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=2048), nullable=False),
        sa.Column("webhook_id", sa.Uuid()),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("channel IN ('email', 'digest', 'webhook')", name="ck_deliveries_channel"),
        sa.CheckConstraint("state IN ('pending', 'sent', 'failed')", name="ck_deliveries_state"),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifier.notifications.id"],
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["notifier.webhooks.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["channel", "next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index(
        op.f("ix_notifier_deliveries_notification_id"), "deliveries", ["notification_id"], schema=S
    )
    op.create_index(op.f("ix_notifier_deliveries_webhook_id"), "deliveries", ["webhook_id"], schema=S)
    kit.create_kit_tables(S)
    kit.add_outbox_parking(S)


def downgrade() -> None:
    op.drop_table("deliveries", schema=S)
    op.drop_table("webhooks", schema=S)
    op.drop_table("preferences", schema=S)
    op.drop_table("parent_links", schema=S)
    op.drop_table("memberships", schema=S)
    op.drop_table("recipients", schema=S)
    op.drop_table("notifications", schema=S)
    op.drop_table("courses", schema=S)
    op.drop_table("course_events", schema=S)
    kit.drop_kit_tables(S)

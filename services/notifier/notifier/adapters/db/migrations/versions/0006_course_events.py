"""The course events the notifier has fanned out, so that a member whose enrollment arrives after
an event's fan-out — though it happened before the event — still gets it.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision, down_revision = "0006", "0005"
branch_labels = depends_on = None
S = "notifier"


def upgrade() -> None:
    op.create_table(
        "course_events",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", JSONB(), nullable=False),
        schema=S,
    )
    op.create_index(
        "ix_course_events_course_published", "course_events", ["course_id", "published_at"], schema=S
    )


def downgrade() -> None:
    op.drop_table("course_events", schema=S)

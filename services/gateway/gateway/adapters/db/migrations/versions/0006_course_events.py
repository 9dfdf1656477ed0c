"""Course events: a teacher's announcement, deadline, exam or grade notice for a course's audience.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0006", "0005"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_events",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("course_id", sa.Uuid(), sa.ForeignKey("gateway.courses.id"), nullable=False),
        sa.Column("author_id", sa.Uuid(), sa.ForeignKey("gateway.users.id"), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        kit.now_column("created_at"),
        sa.CheckConstraint(
            "category IN ('announcement', 'deadline', 'exam', 'grade')", name="ck_course_events_category"
        ),
        sa.CheckConstraint("priority IN ('low', 'normal', 'high')", name="ck_course_events_priority"),
        sa.CheckConstraint(
            "audience IN ('students', 'teachers', 'parents', 'all')", name="ck_course_events_audience"
        ),
        schema="gateway",
    )
    op.create_index(
        "ix_course_events_course_created", "course_events", ["course_id", "created_at"], schema="gateway"
    )
    kit.index_columns("gateway", "course_events", "author_id")


def downgrade() -> None:
    op.drop_table("course_events", schema="gateway")

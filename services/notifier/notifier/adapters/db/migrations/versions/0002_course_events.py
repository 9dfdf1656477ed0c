"""Course events reach their audience: parents' links to the students they follow, and each
notification's category and priority (preferences and digests choose by them).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0002", "0001"
branch_labels = depends_on = None
S = "notifier"


def upgrade() -> None:
    op.create_table(
        "parent_links",
        sa.Column("course_id", sa.Uuid(), primary_key=True),
        sa.Column("parent_id", sa.Uuid(), sa.ForeignKey(f"{S}.recipients.user_id"), primary_key=True),
        sa.Column("student_id", sa.Uuid(), primary_key=True),
        schema=S,
    )
    op.create_index("ix_parent_links_student", "parent_links", ["student_id"], schema=S)
    kit.index_columns(S, "parent_links", "parent_id")
    op.add_column("notifications", sa.Column("category", sa.String(16)), schema=S)
    op.add_column("notifications", sa.Column("priority", sa.String(8)), schema=S)


def downgrade() -> None:
    op.drop_column("notifications", "priority", schema=S)
    op.drop_column("notifications", "category", schema=S)
    op.drop_table("parent_links", schema=S)

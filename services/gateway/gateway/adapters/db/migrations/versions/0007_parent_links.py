"""A parent follows one or more children in a course (a link each, instead of one column on the
enrollment); a course says whether its grades also reach the students' parents.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0007", "0006"
branch_labels = depends_on = None
S = "gateway"


def upgrade() -> None:
    op.create_table(
        "parent_links",
        sa.Column("course_id", sa.Uuid(), primary_key=True),
        sa.Column("parent_id", sa.Uuid(), primary_key=True),
        sa.Column("student_id", sa.Uuid(), sa.ForeignKey(f"{S}.users.id"), primary_key=True),
        sa.ForeignKeyConstraint(
            ["course_id", "parent_id"],
            [f"{S}.enrollments.course_id", f"{S}.enrollments.user_id"],
            ondelete="CASCADE",
        ),
        schema=S,
    )
    op.create_index("ix_parent_links_student", "parent_links", ["student_id"], schema=S)
    op.execute(
        f"INSERT INTO {S}.parent_links (course_id, parent_id, student_id) "
        f"SELECT course_id, user_id, student_id FROM {S}.enrollments WHERE student_id IS NOT NULL"
    )
    op.drop_column("enrollments", "student_id", schema=S)
    op.add_column(
        "courses",
        sa.Column("grades_to_parents", sa.Boolean(), nullable=False, server_default=sa.false()),
        schema=S,
    )


def downgrade() -> None:
    op.drop_column("courses", "grades_to_parents", schema=S)
    op.add_column("enrollments", sa.Column("student_id", sa.Uuid(), sa.ForeignKey(f"{S}.users.id")), schema=S)
    op.execute(
        f"UPDATE {S}.enrollments e SET student_id = l.student_id FROM (SELECT DISTINCT ON (course_id,"
        f" parent_id) * FROM {S}.parent_links ORDER BY course_id, parent_id, student_id) l"
        " WHERE e.course_id = l.course_id AND e.user_id = l.parent_id"
    )
    op.create_index("ix_gateway_enrollments_student_id", "enrollments", ["student_id"], schema=S)
    op.drop_table("parent_links", schema=S)

"""The grader's schema: test suites copied from `assignment.published`, runs and per-test results.

The revisions before 0005 are squashed into this one, which keeps the head's id.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0005", None
branch_labels = depends_on = None
S = "grader"


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("time_limit_ms", sa.Integer(), server_default="2000", nullable=False),
        sa.Column("wall_limit_ms", sa.Integer()),
        sa.Column("memory_limit_mb", sa.Integer(), server_default="256", nullable=False),
        sa.Column("max_processes", sa.Integer(), server_default="16", nullable=False),
        sa.Column("max_file_kb", sa.Integer(), server_default="1024", nullable=False),
        sa.Column("stack_limit_mb", sa.Integer(), server_default="64", nullable=False),
        sa.Column("max_output_kb", sa.Integer(), server_default="64", nullable=False),
        sa.Column("disk_limit_mb", sa.Integer(), server_default="20", nullable=False),
        sa.Column("checker_language", sa.String(length=32)),
        sa.Column("checker_source", sa.Text()),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index(op.f("ix_grader_assignments_course_id"), "assignments", ["course_id"], schema=S)
    op.create_table(
        "runs",
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("verdict", sa.String(length=32)),
        sa.Column("score", sa.Integer()),
        sa.Column("max_score", sa.Integer()),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["grader.assignments.id"],
        ),
        sa.PrimaryKeyConstraint("submission_id"),
        schema=S,
    )
    op.create_index(op.f("ix_grader_runs_assignment_id"), "runs", ["assignment_id"], schema=S)
    op.create_index(op.f("ix_grader_runs_student_id"), "runs", ["student_id"], schema=S)
    kit.test_case_table_v1(S)
    op.create_table(
        "test_results",
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("test_id", sa.Uuid(), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("time_ms", sa.Float(), nullable=False),
        sa.Column("exit_code", sa.Integer()),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["grader.runs.submission_id"],
        ),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["grader.test_cases.id"],
        ),
        sa.PrimaryKeyConstraint("submission_id", "test_id"),
        schema=S,
    )
    op.create_index(op.f("ix_grader_test_results_test_id"), "test_results", ["test_id"], schema=S)
    kit.create_kit_tables(S)
    kit.add_outbox_parking(S)


def downgrade() -> None:
    op.drop_table("test_results", schema=S)
    op.drop_table("test_cases", schema=S)
    op.drop_table("runs", schema=S)
    op.drop_table("assignments", schema=S)
    kit.drop_kit_tables(S)

"""Baseline: the grader's schema as revisions 0001-0003 left it (squashed; the head keeps its id,
so a database at 0003 goes on from here). Test suites copied from events, runs, per-test results.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0003", None
branch_labels = depends_on = None
S = "grader"


def upgrade() -> None:
    kit.create_kit_tables(S)
    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        *kit.limit_columns_v1(),
        sa.Column("max_output_kb", sa.Integer(), server_default="64", nullable=False),
        sa.Column("checker_language", sa.String(32)),
        sa.Column("checker_source", sa.Text()),
        kit.now_column("received_at"),
        schema=S,
    )
    kit.test_case_table_v1(S)
    op.create_table(
        "runs",
        sa.Column("submission_id", sa.Uuid(), primary_key=True),
        sa.Column("assignment_id", sa.Uuid(), sa.ForeignKey(f"{S}.assignments.id"), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(32), nullable=False),
        sa.Column("verdict", sa.String(32)),
        sa.Column("score", sa.Integer()),
        sa.Column("max_score", sa.Integer()),
        kit.now_column("started_at"),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        schema=S,
    )
    op.create_table(
        "test_results",
        sa.Column("submission_id", sa.Uuid(), sa.ForeignKey(f"{S}.runs.submission_id"), primary_key=True),
        sa.Column("test_id", sa.Uuid(), sa.ForeignKey(f"{S}.test_cases.id"), primary_key=True),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("time_ms", sa.Float(), nullable=False),
        sa.Column("exit_code", sa.Integer()),
        schema=S,
    )
    kit.index_columns(S, "assignments", "course_id")
    kit.index_columns(S, "runs", "assignment_id", "student_id")
    kit.index_columns(S, "test_results", "test_id")


def downgrade() -> None:
    for table in ("test_results", "runs", "test_cases", "assignments"):
        op.drop_table(table, schema=S)
    kit.drop_kit_tables(S)

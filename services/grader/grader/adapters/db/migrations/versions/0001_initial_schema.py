"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 09:01:49.382354
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("time_limit_ms", sa.Integer(), nullable=False),
        sa.Column("memory_limit_mb", sa.Integer(), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="grader",
    )
    op.create_index(
        op.f("ix_grader_assignments_course_id"),
        "assignments",
        ["course_id"],
        unique=False,
        schema="grader",
    )
    op.create_table(
        "inbox",
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("message_id"),
        schema="grader",
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("routing_key", sa.String(length=200), nullable=False),
        sa.Column("message_type", sa.String(length=200), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema="grader",
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema="grader",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "runs",
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("max_score", sa.Integer(), nullable=True),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["grader.assignments.id"],
        ),
        sa.PrimaryKeyConstraint("submission_id"),
        schema="grader",
    )
    op.create_index(
        op.f("ix_grader_runs_assignment_id"),
        "runs",
        ["assignment_id"],
        unique=False,
        schema="grader",
    )
    op.create_index(op.f("ix_grader_runs_student_id"), "runs", ["student_id"], unique=False, schema="grader")
    op.create_table(
        "test_cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stdin", sa.Text(), nullable=False),
        sa.Column("expected_stdout", sa.Text(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["grader.assignments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="grader",
    )
    op.create_index(
        op.f("ix_grader_test_cases_assignment_id"),
        "test_cases",
        ["assignment_id"],
        unique=False,
        schema="grader",
    )
    op.create_table(
        "test_results",
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("test_id", sa.Uuid(), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("time_ms", sa.Float(), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["grader.runs.submission_id"],
        ),
        sa.ForeignKeyConstraint(
            ["test_id"],
            ["grader.test_cases.id"],
        ),
        sa.PrimaryKeyConstraint("submission_id", "test_id"),
        schema="grader",
    )
    op.create_index(
        op.f("ix_grader_test_results_test_id"),
        "test_results",
        ["test_id"],
        unique=False,
        schema="grader",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_grader_test_results_test_id"), table_name="test_results", schema="grader")
    op.drop_table("test_results", schema="grader")
    op.drop_index(op.f("ix_grader_test_cases_assignment_id"), table_name="test_cases", schema="grader")
    op.drop_table("test_cases", schema="grader")
    op.drop_index(op.f("ix_grader_runs_student_id"), table_name="runs", schema="grader")
    op.drop_index(op.f("ix_grader_runs_assignment_id"), table_name="runs", schema="grader")
    op.drop_table("runs", schema="grader")
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        schema="grader",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox", schema="grader")
    op.drop_table("inbox", schema="grader")
    op.drop_index(op.f("ix_grader_assignments_course_id"), table_name="assignments", schema="grader")
    op.drop_table("assignments", schema="grader")

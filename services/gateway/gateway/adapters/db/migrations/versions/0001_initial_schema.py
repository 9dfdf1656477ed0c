"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 08:58:48.175812
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
        schema="gateway",
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
        schema="gateway",
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema="gateway",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        schema="gateway",
    )
    op.create_table(
        "courses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["gateway.users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="gateway",
    )
    op.create_index(
        op.f("ix_gateway_courses_created_by"),
        "courses",
        ["created_by"],
        unique=False,
        schema="gateway",
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("time_limit_ms", sa.Integer(), nullable=False),
        sa.Column("memory_limit_mb", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["gateway.courses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="gateway",
    )
    op.create_index(
        op.f("ix_gateway_assignments_course_id"),
        "assignments",
        ["course_id"],
        unique=False,
        schema="gateway",
    )
    op.create_table(
        "enrollments",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("role IN ('student', 'teacher', 'parent')", name="ck_enrollments_role"),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["gateway.courses.id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["gateway.users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["gateway.users.id"],
        ),
        sa.PrimaryKeyConstraint("course_id", "user_id"),
        schema="gateway",
    )
    op.create_index(
        op.f("ix_gateway_enrollments_student_id"),
        "enrollments",
        ["student_id"],
        unique=False,
        schema="gateway",
    )
    op.create_index(
        op.f("ix_gateway_enrollments_user_id"),
        "enrollments",
        ["user_id"],
        unique=False,
        schema="gateway",
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("max_score", sa.Integer(), nullable=True),
        sa.Column("results", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["gateway.assignments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["gateway.users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="gateway",
    )
    op.create_index(
        op.f("ix_gateway_submissions_assignment_id"),
        "submissions",
        ["assignment_id"],
        unique=False,
        schema="gateway",
    )
    op.create_index(
        op.f("ix_gateway_submissions_student_id"),
        "submissions",
        ["student_id"],
        unique=False,
        schema="gateway",
    )
    op.create_index(
        "ix_submissions_student_created",
        "submissions",
        ["student_id", "created_at"],
        unique=False,
        schema="gateway",
    )
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
            ["gateway.assignments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="gateway",
    )
    op.create_index(
        op.f("ix_gateway_test_cases_assignment_id"),
        "test_cases",
        ["assignment_id"],
        unique=False,
        schema="gateway",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_gateway_test_cases_assignment_id"), table_name="test_cases", schema="gateway")
    op.drop_table("test_cases", schema="gateway")
    op.drop_index("ix_submissions_student_created", table_name="submissions", schema="gateway")
    op.drop_index(op.f("ix_gateway_submissions_student_id"), table_name="submissions", schema="gateway")
    op.drop_index(op.f("ix_gateway_submissions_assignment_id"), table_name="submissions", schema="gateway")
    op.drop_table("submissions", schema="gateway")
    op.drop_index(op.f("ix_gateway_enrollments_user_id"), table_name="enrollments", schema="gateway")
    op.drop_index(op.f("ix_gateway_enrollments_student_id"), table_name="enrollments", schema="gateway")
    op.drop_table("enrollments", schema="gateway")
    op.drop_index(op.f("ix_gateway_assignments_course_id"), table_name="assignments", schema="gateway")
    op.drop_table("assignments", schema="gateway")
    op.drop_index(op.f("ix_gateway_courses_created_by"), table_name="courses", schema="gateway")
    op.drop_table("courses", schema="gateway")
    op.drop_table("users", schema="gateway")
    op.drop_index(
        "ix_outbox_unpublished",
        table_name="outbox",
        schema="gateway",
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox", schema="gateway")
    op.drop_table("inbox", schema="gateway")

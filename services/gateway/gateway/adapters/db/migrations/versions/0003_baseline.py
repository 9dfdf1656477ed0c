"""Baseline: the gateway's schema as revisions 0001-0003 left it (squashed; the head keeps its id,
so a database at 0003 goes on from here). Catalogue, submissions read model, ad-hoc runs, kit tables.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import gradeflow_shared.migrations as kit

revision, down_revision = "0003", None
branch_labels = depends_on = None
S = "gateway"
TABLES = ("runs", "test_cases", "submissions", "enrollments", "assignments", "courses", "users")


def _ref(column: str, target: str, primary_key: bool = False) -> sa.Column:  # type: ignore[type-arg]
    """A required reference to `target`.id."""
    return sa.Column(
        column, sa.Uuid(), sa.ForeignKey(f"{S}.{target}.id"), nullable=False, primary_key=primary_key
    )


def upgrade() -> None:
    kit.create_kit_tables(S)
    text, string = sa.Text(), sa.String
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("email", string(320), nullable=False, unique=True),
        sa.Column("name", string(200), nullable=False),
        kit.now_column("created_at"),
        schema=S,
    )
    op.create_table(
        "courses",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("title", string(200), nullable=False),
        _ref("created_by", "users"),
        kit.now_column("created_at"),
        schema=S,
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _ref("course_id", "courses"),
        sa.Column("title", string(200), nullable=False),
        *kit.limit_columns_v1(),
        sa.Column("max_output_kb", sa.Integer(), server_default="64", nullable=False),
        sa.Column("checker_language", string(32)),
        sa.Column("checker_source", text),
        kit.now_column("created_at"),
        schema=S,
    )
    op.create_table(
        "enrollments",
        _ref("course_id", "courses", primary_key=True),
        _ref("user_id", "users", primary_key=True),
        sa.Column("role", string(16), nullable=False),
        sa.Column("student_id", sa.Uuid(), sa.ForeignKey(f"{S}.users.id"), nullable=True),
        kit.now_column("created_at"),
        sa.CheckConstraint("role IN ('student', 'teacher', 'parent')", name="ck_enrollments_role"),
        schema=S,
    )
    kit.test_case_table_v1(S)
    op.create_table(
        "submissions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _ref("assignment_id", "assignments"),
        _ref("student_id", "users"),
        sa.Column("language", string(32), nullable=False),
        sa.Column("source", text, nullable=False),
        sa.Column("status", string(16), nullable=False),
        sa.Column("verdict", string(32)),
        sa.Column("score", sa.Integer()),
        sa.Column("max_score", sa.Integer()),
        sa.Column("results", JSONB(astext_type=text)),
        kit.now_column("created_at"),
        kit.now_column("updated_at"),
        schema=S,
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        _ref("user_id", "users"),
        sa.Column("language", string(32), nullable=False),
        sa.Column("source", text, nullable=False),
        sa.Column("stdin", text, nullable=False),
        sa.Column("expected_stdout", text),
        *kit.limit_columns_v1(),
        sa.Column("status", string(16), nullable=False),
        sa.Column("verdict", string(32)),
        sa.Column("result", JSONB(astext_type=text)),
        kit.now_column("created_at"),
        kit.now_column("updated_at"),
        schema=S,
    )
    kit.index_columns(S, "courses", "created_by")
    kit.index_columns(S, "assignments", "course_id")
    kit.index_columns(S, "enrollments", "user_id", "student_id")
    kit.index_columns(S, "submissions", "assignment_id", "student_id")
    kit.index_columns(S, "runs", "user_id")
    op.create_index("ix_submissions_student_created", "submissions", ["student_id", "created_at"], schema=S)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table, schema=S)
    kit.drop_kit_tables(S)

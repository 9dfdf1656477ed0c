"""The gateway's schema: users and their identities, courses, enrollments and parents' links,
assignments and their tests, submissions, runs and their callbacks, course events, Jobe files, API
keys and idempotency keys.

The revisions before 0015 are squashed into this one, which keeps the head's id.

Revision ID: 0015
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

import gradeflow_shared.migrations as kit

revision, down_revision = "0015", None
branch_labels = depends_on = None
S = "gateway"


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer()),
        sa.Column("headers", JSONB()),
        sa.Column("body", sa.LargeBinary()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("client", "key"),
        schema=S,
    )
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created_at"], schema=S)
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        schema=S,
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("scopes", ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["gateway.users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
        schema=S,
    )
    op.create_index(op.f("ix_gateway_api_keys_user_id"), "api_keys", ["user_id"], schema=S)
    op.create_table(
        "courses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("grades_to_parents", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["gateway.users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index(op.f("ix_gateway_courses_created_by"), "courses", ["created_by"], schema=S)
    op.create_table(
        "identities",
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["gateway.users.id"],
        ),
        sa.PrimaryKeyConstraint("issuer", "subject"),
        schema=S,
    )
    op.create_index(op.f("ix_gateway_identities_user_id"), "identities", ["user_id"], schema=S)
    op.create_table(
        "jobe_files",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["gateway.users.id"],
        ),
        sa.PrimaryKeyConstraint("owner_id", "id"),
        schema=S,
    )
    op.create_index(op.f("ix_gateway_jobe_files_expires_at"), "jobe_files", ["expires_at"], schema=S)
    op.create_table(
        "runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("stdin", sa.Text(), nullable=False),
        sa.Column("expected_stdout", sa.Text()),
        sa.Column("time_limit_ms", sa.Integer(), server_default="2000", nullable=False),
        sa.Column("wall_limit_ms", sa.Integer()),
        sa.Column("memory_limit_mb", sa.Integer(), server_default="256", nullable=False),
        sa.Column("max_processes", sa.Integer(), server_default="16", nullable=False),
        sa.Column("max_file_kb", sa.Integer(), server_default="1024", nullable=False),
        sa.Column("stack_limit_mb", sa.Integer(), server_default="64", nullable=False),
        sa.Column("max_output_kb", sa.Integer(), server_default="64", nullable=False),
        sa.Column("disk_limit_mb", sa.Integer(), server_default="20", nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=32)),
        sa.Column("result", JSONB()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["gateway.users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index(op.f("ix_gateway_runs_user_id"), "runs", ["user_id"], schema=S)
    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
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
        sa.Column("languages", ARRAY(sa.String(length=32))),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("close_at", sa.DateTime(timezone=True)),
        sa.Column("late_policy", sa.String(length=16), server_default="accept", nullable=False),
        sa.Column("late_penalty_percent", sa.Integer(), server_default="10", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "late_policy IN ('accept', 'penalty', 'refuse')", name="ck_assignments_late_policy"
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["gateway.courses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index(op.f("ix_gateway_assignments_course_id"), "assignments", ["course_id"], schema=S)
    op.create_table(
        "callbacks",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("base64", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("state IN ('waiting', 'pending', 'sent', 'failed')", name="ck_callbacks_state"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["gateway.runs.id"],
        ),
        sa.PrimaryKeyConstraint("run_id"),
        schema=S,
    )
    op.create_index(
        "ix_callbacks_due",
        "callbacks",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "course_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "audience IN ('students', 'teachers', 'parents', 'all')", name="ck_course_events_audience"
        ),
        sa.CheckConstraint(
            "category IN ('announcement', 'deadline', 'exam', 'grade')", name="ck_course_events_category"
        ),
        sa.CheckConstraint("priority IN ('low', 'normal', 'high')", name="ck_course_events_priority"),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["gateway.users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["gateway.courses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index("ix_course_events_course_created", "course_events", ["course_id", "created_at"], schema=S)
    op.create_index(op.f("ix_gateway_course_events_author_id"), "course_events", ["author_id"], schema=S)
    op.create_table(
        "enrollments",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('student', 'teacher', 'parent')", name="ck_enrollments_role"),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["gateway.courses.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["gateway.users.id"],
        ),
        sa.PrimaryKeyConstraint("course_id", "user_id"),
        schema=S,
    )
    op.create_index(op.f("ix_gateway_enrollments_user_id"), "enrollments", ["user_id"], schema=S)
    op.create_table(
        "parent_links",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id", "parent_id"],
            ["gateway.enrollments.course_id", "gateway.enrollments.user_id"],
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["gateway.users.id"],
        ),
        sa.PrimaryKeyConstraint("course_id", "parent_id", "student_id"),
        schema=S,
    )
    op.create_index("ix_parent_links_student", "parent_links", ["student_id"], schema=S)
    op.create_table(
        "submissions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=32)),
        sa.Column("score", sa.Integer()),
        sa.Column("max_score", sa.Integer()),
        sa.Column("results", JSONB()),
        sa.Column("late_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("penalty_percent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("raw_score", sa.Integer()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["gateway.assignments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["gateway.users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        schema=S,
    )
    op.create_index(op.f("ix_gateway_submissions_assignment_id"), "submissions", ["assignment_id"], schema=S)
    op.create_index(op.f("ix_gateway_submissions_student_id"), "submissions", ["student_id"], schema=S)
    op.create_index("ix_submissions_student_created", "submissions", ["student_id", "created_at"], schema=S)
    kit.test_case_table_v1(S)
    kit.create_kit_tables(S)
    kit.add_outbox_parking(S)


def downgrade() -> None:
    op.drop_table("test_cases", schema=S)
    op.drop_table("submissions", schema=S)
    op.drop_table("parent_links", schema=S)
    op.drop_table("enrollments", schema=S)
    op.drop_table("course_events", schema=S)
    op.drop_table("callbacks", schema=S)
    op.drop_table("assignments", schema=S)
    op.drop_table("runs", schema=S)
    op.drop_table("jobe_files", schema=S)
    op.drop_table("identities", schema=S)
    op.drop_table("courses", schema=S)
    op.drop_table("api_keys", schema=S)
    op.drop_table("users", schema=S)
    op.drop_table("idempotency_keys", schema=S)
    kit.drop_kit_tables(S)

"""The gateway's schema: catalogue (users, courses, enrollments, assignments, tests), the
submissions read model, ad-hoc runs, and the kit's outbox and inbox."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from gradeflow_shared.kit_tables import inbox_table, limit_columns, outbox_table

SCHEMA = "gateway"
metadata = MetaData(schema=SCHEMA)


def _created() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    _created(),
)

courses = Table(
    "courses",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("created_by", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    _created(),
)

enrollments = Table(
    "enrollments",
    metadata,
    Column("course_id", Uuid, ForeignKey("courses.id"), primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), primary_key=True, index=True),
    Column("role", String(16), nullable=False),
    # For a parent: the student they follow.
    Column("student_id", Uuid, ForeignKey("users.id"), index=True),
    _created(),
    CheckConstraint("role IN ('student', 'teacher', 'parent')", name="ck_enrollments_role"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("course_id", Uuid, ForeignKey("courses.id"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    *limit_columns(),
    # The teacher's checker program, for tests compared by "checker".
    Column("checker_language", String(32)),
    Column("checker_source", Text),
    _created(),
)

test_cases = Table(
    "test_cases",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("assignment_id", Uuid, ForeignKey("assignments.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("stdin", Text, nullable=False),
    Column("expected_stdout", Text, nullable=False),
    Column("weight", Integer, nullable=False),
    Column("hidden", Boolean, nullable=False),
    Column("comparison", String(24), nullable=False, server_default="trailing_whitespace"),
    Column("tolerance", Float, nullable=False, server_default="1e-06"),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("assignment_id", Uuid, ForeignKey("assignments.id"), nullable=False, index=True),
    Column("student_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("language", String(32), nullable=False),
    Column("source", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("verdict", String(32)),
    Column("score", Integer),
    Column("max_score", Integer),
    Column("results", JSONB),
    _created(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_submissions_student_created", "student_id", "created_at"),
)

# Ad-hoc runs (the "run" button, the Judge0-compatible API): request and, once run, result.
runs = Table(
    "runs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("language", String(32), nullable=False),
    Column("source", Text, nullable=False),
    Column("stdin", Text, nullable=False),
    Column("expected_stdout", Text),
    *limit_columns(),
    Column("status", String(16), nullable=False),
    Column("verdict", String(32)),
    Column("result", JSONB),
    _created(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

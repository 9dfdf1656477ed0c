"""The grader's schema: test suites copied from `assignment.published`, runs and per-test results."""

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
)

from gradeflow_shared.kit_tables import inbox_table, limit_columns, outbox_table

SCHEMA = "grader"
metadata = MetaData(schema=SCHEMA)

assignments = Table(
    "assignments",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("course_id", Uuid, nullable=False, index=True),
    *limit_columns(),
    # The teacher's checker program, for tests compared by "checker".
    Column("checker_language", String(32)),
    Column("checker_source", Text),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
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

runs = Table(
    "runs",
    metadata,
    Column("submission_id", Uuid, primary_key=True),
    Column("assignment_id", Uuid, ForeignKey("assignments.id"), nullable=False, index=True),
    Column("student_id", Uuid, nullable=False, index=True),
    Column("language", String(32), nullable=False),
    Column("verdict", String(32)),
    Column("score", Integer),
    Column("max_score", Integer),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
)

test_results = Table(
    "test_results",
    metadata,
    Column("submission_id", Uuid, ForeignKey("runs.submission_id"), primary_key=True),
    Column("test_id", Uuid, ForeignKey("test_cases.id"), primary_key=True, index=True),
    Column("verdict", String(32), nullable=False),
    Column("time_ms", Float, nullable=False),
    Column("exit_code", Integer),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

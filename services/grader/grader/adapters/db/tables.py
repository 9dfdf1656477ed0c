"""The grader's schema: test suites copied from `assignment.published` (every version's tests
kept), runs (one per submission and suite version: a regrade is a run of its own) and per-test
results."""

import sqlalchemy as sa

from gradeflow_shared.kit_tables import inbox_table, key, limit_columns, outbox_table, stamp, test_cases_table

SCHEMA = "grader"
metadata = sa.MetaData(schema=SCHEMA)

assignments = sa.Table(
    "assignments",
    metadata,
    key(),
    sa.Column("course_id", sa.Uuid, nullable=False, index=True),
    *limit_columns(),
    # The teacher's checker program, for tests compared by "checker".
    sa.Column("checker_language", sa.String(32)),
    sa.Column("checker_source", sa.Text),
    stamp("received_at"),
    sa.Column("suite_version", sa.Integer, nullable=False, server_default="1"),  # the newest received
)

test_cases = test_cases_table(metadata)

runs = sa.Table(
    "runs",
    metadata,
    key("submission_id"),
    sa.Column("suite_version", sa.Integer, primary_key=True, server_default="1"),
    sa.Column("assignment_id", sa.Uuid, sa.ForeignKey("assignments.id"), nullable=False, index=True),
    sa.Column("student_id", sa.Uuid, nullable=False, index=True),
    sa.Column("language", sa.String(32), nullable=False),
    sa.Column("verdict", sa.String(32)),
    sa.Column("score", sa.Integer),
    sa.Column("max_score", sa.Integer),
    stamp("started_at"),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
)

test_results = sa.Table(
    "test_results",
    metadata,
    key("submission_id"),
    sa.Column("suite_version", sa.Integer, primary_key=True, server_default="1"),
    sa.Column("test_id", sa.Uuid, sa.ForeignKey("test_cases.id"), primary_key=True, index=True),
    sa.Column("verdict", sa.String(32), nullable=False),
    sa.Column("time_ms", sa.Float, nullable=False),
    sa.Column("exit_code", sa.Integer),
    sa.ForeignKeyConstraint(
        ["submission_id", "suite_version"],
        ["runs.submission_id", "runs.suite_version"],
        name="test_results_submission_id_fkey",
    ),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

"""Suite versions: an assignment's tests kept per version, a run per submission and version (a
regrade is a run of its own; what it was before stays).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0006", "0005"
branch_labels = depends_on = None
S = "grader"


def _version() -> sa.Column[int]:
    return sa.Column("suite_version", sa.Integer(), server_default="1", nullable=False)


def upgrade() -> None:
    op.add_column("assignments", _version(), schema=S)
    op.add_column("test_cases", _version(), schema=S)
    op.create_index(
        "ix_grader_test_cases_assignment_version", "test_cases", ["assignment_id", "suite_version"], schema=S
    )
    op.add_column("runs", _version(), schema=S)
    op.add_column("test_results", _version(), schema=S)
    op.drop_constraint("test_results_submission_id_fkey", "test_results", schema=S)
    op.drop_constraint("test_results_pkey", "test_results", schema=S)
    op.drop_constraint("runs_pkey", "runs", schema=S)
    op.create_primary_key("runs_pkey", "runs", ["submission_id", "suite_version"], schema=S)
    op.create_primary_key(
        "test_results_pkey", "test_results", ["submission_id", "suite_version", "test_id"], schema=S
    )
    op.create_foreign_key(
        "test_results_submission_id_fkey",
        "test_results",
        "runs",
        ["submission_id", "suite_version"],
        ["submission_id", "suite_version"],
        source_schema=S,
        referent_schema=S,
    )


def downgrade() -> None:
    op.drop_constraint("test_results_submission_id_fkey", "test_results", schema=S)
    op.drop_constraint("test_results_pkey", "test_results", schema=S)
    op.drop_constraint("runs_pkey", "runs", schema=S)
    op.execute(f"DELETE FROM {S}.test_results WHERE suite_version > 1")
    op.execute(f"DELETE FROM {S}.runs WHERE suite_version > 1")
    op.create_primary_key("runs_pkey", "runs", ["submission_id"], schema=S)
    op.create_primary_key("test_results_pkey", "test_results", ["submission_id", "test_id"], schema=S)
    op.create_foreign_key(
        "test_results_submission_id_fkey", "test_results", "runs", ["submission_id"], ["submission_id"],
        source_schema=S, referent_schema=S,
    )  # fmt: skip
    op.drop_column("test_results", "suite_version", schema=S)
    op.drop_column("runs", "suite_version", schema=S)
    op.drop_index("ix_grader_test_cases_assignment_version", "test_cases", schema=S)
    op.drop_column("test_cases", "suite_version", schema=S)
    op.drop_column("assignments", "suite_version", schema=S)

"""Alembic environment for the grader schema (see gradeflow_shared.migrations)."""

from gradeflow_shared.migrations import run_env
from grader.adapters.db.tables import metadata

run_env(metadata)

"""Alembic environment for the grader schema (see gradeflow_shared.migrations)."""

from grader.adapters.db.tables import metadata
from gradeflow_shared.migrations import run_env

run_env(metadata)

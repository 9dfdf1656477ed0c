"""Alembic environment for the metrics schema (see gradeflow_shared.migrations)."""

from metrics.adapters.db.tables import metadata
from gradeflow_shared.migrations import run_env

run_env(metadata)

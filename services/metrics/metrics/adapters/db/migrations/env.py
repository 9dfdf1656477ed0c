"""Alembic environment for the metrics schema (see gradeflow_shared.migrations)."""

from gradeflow_shared.migrations import run_env
from metrics.adapters.db.tables import metadata

run_env(metadata)

"""Alembic environment for the notifier schema (see gradeflow_shared.migrations)."""

from notifier.adapters.db.tables import metadata
from gradeflow_shared.migrations import run_env

run_env(metadata)

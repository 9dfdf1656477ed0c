"""Alembic environment for the notifier schema (see gradeflow_shared.migrations)."""

from gradeflow_shared.migrations import run_env
from notifier.adapters.db.tables import metadata

run_env(metadata)

"""Alembic environment for the gateway schema (see gradeflow_shared.migrations)."""

from gateway.adapters.db.tables import metadata
from gradeflow_shared.migrations import run_env

run_env(metadata)

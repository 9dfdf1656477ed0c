"""Per-assignment process and output limits; per-test comparison mode and numeric tolerance.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "gateway"


def upgrade() -> None:
    op.add_column(
        "assignments",
        sa.Column("max_processes", sa.Integer(), server_default="16", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "assignments",
        sa.Column("max_output_kb", sa.Integer(), server_default="64", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "test_cases",
        sa.Column("comparison", sa.String(length=24), server_default="trailing_whitespace", nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "test_cases",
        sa.Column("tolerance", sa.Float(), server_default="1e-06", nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("test_cases", "tolerance", schema=SCHEMA)
    op.drop_column("test_cases", "comparison", schema=SCHEMA)
    op.drop_column("assignments", "max_output_kb", schema=SCHEMA)
    op.drop_column("assignments", "max_processes", schema=SCHEMA)

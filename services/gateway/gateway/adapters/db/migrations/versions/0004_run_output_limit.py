"""Ad-hoc runs carry every limit of shared/limits.py: the output limit too.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "gateway"


def upgrade() -> None:
    op.add_column(
        "runs", sa.Column("max_output_kb", sa.Integer(), server_default="64", nullable=False), schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_column("runs", "max_output_kb", schema=SCHEMA)

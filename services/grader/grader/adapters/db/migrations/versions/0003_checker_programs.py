"""The assignment's checker program (language and source), for tests compared by "checker".

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "grader"


def upgrade() -> None:
    op.add_column("assignments", sa.Column("checker_language", sa.String(length=32)), schema=SCHEMA)
    op.add_column("assignments", sa.Column("checker_source", sa.Text()), schema=SCHEMA)


def downgrade() -> None:
    op.drop_column("assignments", "checker_source", schema=SCHEMA)
    op.drop_column("assignments", "checker_language", schema=SCHEMA)

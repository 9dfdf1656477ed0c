"""The assignment's checker program (language and source), for tests compared by "checker"; the
limits of wall time, file size and stack.

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


def _limits() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("wall_limit_ms", sa.Integer()),
        sa.Column("max_file_kb", sa.Integer(), server_default="1024", nullable=False),
        sa.Column("stack_limit_mb", sa.Integer(), server_default="64", nullable=False),
    ]


def upgrade() -> None:
    op.add_column("assignments", sa.Column("checker_language", sa.String(length=32)), schema=SCHEMA)
    op.add_column("assignments", sa.Column("checker_source", sa.Text()), schema=SCHEMA)
    for column in _limits():
        op.add_column("assignments", column, schema=SCHEMA)


def downgrade() -> None:
    for column in _limits():
        op.drop_column("assignments", column.name, schema=SCHEMA)
    op.drop_column("assignments", "checker_source", schema=SCHEMA)
    op.drop_column("assignments", "checker_language", schema=SCHEMA)

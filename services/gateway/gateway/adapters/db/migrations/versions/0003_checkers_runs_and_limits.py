"""The assignment's checker program (language and source), for tests compared by "checker"; the
limits of wall time, file size and stack; ad-hoc runs (request, limits and result).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "gateway"


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
    op.create_table(
        "runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("stdin", sa.Text(), nullable=False),
        sa.Column("expected_stdout", sa.Text()),
        sa.Column("time_limit_ms", sa.Integer(), nullable=False),
        sa.Column("memory_limit_mb", sa.Integer(), nullable=False),
        sa.Column("max_processes", sa.Integer(), server_default="16", nullable=False),
        *_limits(),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=32)),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text())),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], [f"{SCHEMA}.users.id"]),
        sa.PrimaryKeyConstraint("id"),
        schema=SCHEMA,
    )
    op.create_index("ix_gateway_runs_user_id", "runs", ["user_id"], schema=SCHEMA)


def downgrade() -> None:
    for column in _limits():
        op.drop_column("assignments", column.name, schema=SCHEMA)
    op.drop_index("ix_gateway_runs_user_id", table_name="runs", schema=SCHEMA)
    op.drop_table("runs", schema=SCHEMA)
    op.drop_column("assignments", "checker_source", schema=SCHEMA)
    op.drop_column("assignments", "checker_language", schema=SCHEMA)

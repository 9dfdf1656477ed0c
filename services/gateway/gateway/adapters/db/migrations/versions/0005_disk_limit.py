"""Assignments and runs carry a disk limit (shared/limits.py: disk_limit_mb, default 20 MB).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0005", "0004"
branch_labels = depends_on = None
TABLES = ("assignments", "runs")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("disk_limit_mb", sa.Integer(), server_default="20", nullable=False),
            schema="gateway",
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "disk_limit_mb", schema="gateway")

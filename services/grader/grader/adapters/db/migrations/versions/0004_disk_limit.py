"""Assignments carry a disk limit (shared/limits.py: disk_limit_mb, default 20 MB).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004", "0003"
branch_labels = depends_on = None


def upgrade() -> None:
    op.add_column(
        "assignments",
        sa.Column("disk_limit_mb", sa.Integer(), server_default="20", nullable=False),
        schema="grader",
    )


def downgrade() -> None:
    op.drop_column("assignments", "disk_limit_mb", schema="grader")

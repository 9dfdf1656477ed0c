"""Jobe's files kept per owner: a file id names a file of the key's user only (an id is guessable:
CodeRunner names files by the MD5 of their content). The kept files are a cache that clients fill
again on a 404 (Jobe's protocol), so they are dropped rather than given an owner.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0015", "0014"
branch_labels = depends_on = None


def upgrade() -> None:
    op.drop_table("jobe_files", schema="gateway")
    op.create_table(
        "jobe_files",
        sa.Column("owner_id", sa.Uuid(), sa.ForeignKey("gateway.users.id"), primary_key=True),
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        kit.now_column("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema="gateway",
    )
    kit.index_columns("gateway", "jobe_files", "expires_at")


def downgrade() -> None:
    op.drop_table("jobe_files", schema="gateway")
    op.create_table(
        "jobe_files",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        kit.now_column("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema="gateway",
    )
    kit.index_columns("gateway", "jobe_files", "expires_at")

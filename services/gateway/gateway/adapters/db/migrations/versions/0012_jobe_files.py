"""Files kept for Jobe's file_list (PUT files/{id}), by the client's id, until they expire.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0012", "0011"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobe_files",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        kit.now_column("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema="gateway",
    )
    kit.index_columns("gateway", "jobe_files", "expires_at")


def downgrade() -> None:
    op.drop_table("jobe_files", schema="gateway")

"""Ad-hoc runs carry every limit of shared/limits.py: the output limit too.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0004", "0003"
branch_labels = depends_on = None


def upgrade() -> None:
    column = sa.Column("max_output_kb", sa.Integer(), server_default="64", nullable=False)
    op.add_column("runs", column, schema="gateway")


def downgrade() -> None:
    op.drop_column("runs", "max_output_kb", schema="gateway")

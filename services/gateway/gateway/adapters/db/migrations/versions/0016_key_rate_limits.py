"""An API key's own limit on code runs (runs_limit per runs_period_seconds; 0: none).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0016", "0015"
branch_labels = depends_on = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("runs_limit", sa.Integer()), schema="gateway")
    op.add_column("api_keys", sa.Column("runs_period_seconds", sa.Integer()), schema="gateway")


def downgrade() -> None:
    op.drop_column("api_keys", "runs_period_seconds", schema="gateway")
    op.drop_column("api_keys", "runs_limit", schema="gateway")

"""A course event corrected or cancelled: its revision (0: as first published) and when it was
cancelled.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0018", "0017"
branch_labels = depends_on = None
S = "gateway"


def upgrade() -> None:
    op.add_column(
        "course_events", sa.Column("revision", sa.Integer(), server_default="0", nullable=False), schema=S
    )
    op.add_column("course_events", sa.Column("cancelled_at", sa.DateTime(timezone=True)), schema=S)


def downgrade() -> None:
    op.drop_column("course_events", "cancelled_at", schema=S)
    op.drop_column("course_events", "revision", schema=S)

"""Assignments' allowed languages, due date and late policy; submissions' days late and penalty,
and the score before it.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision, down_revision = "0011", "0010"
branch_labels = depends_on = None


def upgrade() -> None:
    op.add_column("assignments", sa.Column("languages", ARRAY(sa.String(32))), schema="gateway")
    op.add_column("assignments", sa.Column("due_at", sa.DateTime(timezone=True)), schema="gateway")
    op.add_column("assignments", sa.Column("close_at", sa.DateTime(timezone=True)), schema="gateway")
    op.add_column(
        "assignments",
        sa.Column("late_policy", sa.String(16), nullable=False, server_default="accept"),
        schema="gateway",
    )
    op.add_column(
        "assignments",
        sa.Column("late_penalty_percent", sa.Integer(), nullable=False, server_default="10"),
        schema="gateway",
    )
    op.create_check_constraint(
        "ck_assignments_late_policy",
        "assignments",
        "late_policy IN ('accept', 'penalty', 'refuse')",
        schema="gateway",
    )
    op.add_column(
        "submissions",
        sa.Column("late_days", sa.Integer(), nullable=False, server_default="0"),
        schema="gateway",
    )
    op.add_column(
        "submissions",
        sa.Column("penalty_percent", sa.Integer(), nullable=False, server_default="0"),
        schema="gateway",
    )
    op.add_column("submissions", sa.Column("raw_score", sa.Integer()), schema="gateway")


def downgrade() -> None:
    for column in ("raw_score", "penalty_percent", "late_days"):
        op.drop_column("submissions", column, schema="gateway")
    op.drop_constraint("ck_assignments_late_policy", "assignments", schema="gateway")
    for column in ("late_penalty_percent", "late_policy", "close_at", "due_at", "languages"):
        op.drop_column("assignments", column, schema="gateway")

"""Outbox rows the broker refuses on their own (too large, unroutable) are parked with the
broker's reason instead of blocking the rows behind them.

Revision ID: 0005
Revises: 0004
"""

import gradeflow_shared.migrations as kit

revision, down_revision = "0005", "0004"
branch_labels = depends_on = None


def upgrade() -> None:
    kit.add_outbox_parking("grader")


def downgrade() -> None:
    kit.drop_outbox_parking("grader")

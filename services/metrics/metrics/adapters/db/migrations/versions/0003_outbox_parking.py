"""Outbox rows the broker refuses on their own (too large, unroutable) are parked with the
broker's reason instead of blocking the rows behind them.

Revision ID: 0003
Revises: 0002
"""

import gradeflow_shared.migrations as kit

revision, down_revision = "0003", "0002"
branch_labels = depends_on = None


def upgrade() -> None:
    kit.add_outbox_parking("metrics")


def downgrade() -> None:
    kit.drop_outbox_parking("metrics")

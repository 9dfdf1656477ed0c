"""Outbox rows the broker refuses on their own (too large, unroutable) are parked with the
broker's reason instead of blocking the rows behind them.

Revision ID: 0014
Revises: 0013
"""

import gradeflow_shared.migrations as kit

revision, down_revision = "0014", "0013"
branch_labels = depends_on = None


def upgrade() -> None:
    kit.add_outbox_parking("gateway")


def downgrade() -> None:
    kit.drop_outbox_parking("gateway")

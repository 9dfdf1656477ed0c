"""Judge0 callbacks: a run's result PUT to the URL its request named, once it is done — kept as a
delivery with attempts and a lease, so a receiver that fails for a while still gets it once.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import gradeflow_shared.migrations as kit

revision, down_revision = "0013", "0012"
branch_labels = depends_on = None


def upgrade() -> None:
    op.create_table(
        "callbacks",
        sa.Column("run_id", sa.Uuid(), sa.ForeignKey("gateway.runs.id"), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("base64", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("last_error", sa.Text()),
        kit.now_column("created_at"),
        sa.CheckConstraint("state IN ('waiting', 'pending', 'sent', 'failed')", name="ck_callbacks_state"),
        schema="gateway",
    )
    op.create_index(
        "ix_callbacks_due",
        "callbacks",
        ["next_attempt_at"],
        schema="gateway",
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("callbacks", schema="gateway")

"""The notifier's schema: recipients and memberships copied from enrollment events, the inbox.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

import gradeflow_shared.migrations as kit

revision, down_revision = "0001", None
branch_labels = depends_on = None
S = "notifier"


def upgrade() -> None:
    kit.create_kit_tables(S)
    op.create_table(
        "recipients",
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        kit.now_column("updated_at"),
        schema=S,
    )
    op.create_table(
        "memberships",
        sa.Column("course_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey(f"{S}.recipients.user_id"), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        schema=S,
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", JSONB(astext_type=sa.Text()), nullable=False),
        kit.now_column("created_at"),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        schema=S,
    )
    kit.index_columns(S, "memberships", "user_id")
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at"], schema=S)


def downgrade() -> None:
    for table in ("notifications", "memberships", "recipients"):
        op.drop_table(table, schema=S)
    kit.drop_kit_tables(S)

"""The inbox API's lookups (a page by a cursor, the unread count), the digest option, the digest
channel, and each course's settings as the gateway announces them.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0005", "0004"
branch_labels = depends_on = None
S = "notifier"


def upgrade() -> None:
    op.drop_index("ix_notifications_user_created", "notifications", schema=S)
    op.create_index(
        "ix_notifications_user_created", "notifications", ["user_id", "created_at", "id"], schema=S
    )
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["user_id"],
        schema=S,
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.add_column(
        "recipients", sa.Column("digest", sa.Boolean(), nullable=False, server_default=sa.false()), schema=S
    )
    op.drop_constraint("ck_deliveries_channel", "deliveries", schema=S)
    op.create_check_constraint(
        "ck_deliveries_channel", "deliveries", "channel IN ('email', 'digest', 'webhook')", schema=S
    )
    op.create_table(
        "courses",
        sa.Column("course_id", sa.Uuid(), primary_key=True),
        sa.Column("grades_to_parents", sa.Boolean(), nullable=False),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("courses", schema=S)
    op.execute(f"DELETE FROM {S}.deliveries WHERE channel = 'digest'")
    op.drop_constraint("ck_deliveries_channel", "deliveries", schema=S)
    op.create_check_constraint(
        "ck_deliveries_channel", "deliveries", "channel IN ('email', 'webhook')", schema=S
    )
    op.drop_column("recipients", "digest", schema=S)
    op.drop_index("ix_notifications_unread", "notifications", schema=S)
    op.drop_index("ix_notifications_user_created", "notifications", schema=S)
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at"], schema=S)

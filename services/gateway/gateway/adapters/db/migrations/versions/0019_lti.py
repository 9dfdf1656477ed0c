"""LTI 1.3: the platforms (LMSs) registered by an admin, the nonces their launches used (each
once), the course each platform's context is, each assignment's line item there (its grades'
column), and the tool's own signing keys (sealed).

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision, down_revision = "0019", "0018"
branch_labels = depends_on = None
S = "gateway"


def upgrade() -> None:
    op.create_table(
        "lti_platforms",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(500), nullable=False),
        sa.Column("deployment_ids", ARRAY(sa.String(500)), nullable=False),
        sa.Column("auth_login_url", sa.String(2000), nullable=False),
        sa.Column("auth_token_url", sa.String(2000), nullable=False),
        sa.Column("key_set_url", sa.String(2000), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),
        schema=S,
    )
    op.create_table(
        "lti_nonces",
        sa.Column("nonce", sa.String(200), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
        schema=S,
    )
    op.create_table(
        "lti_contexts",
        sa.Column("platform_id", sa.Uuid(), sa.ForeignKey(f"{S}.lti_platforms.id"), primary_key=True),
        sa.Column("context_id", sa.String(500), primary_key=True),
        sa.Column("course_id", sa.Uuid(), sa.ForeignKey(f"{S}.courses.id"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("memberships_url", sa.String(2000)),
        sa.Column("synced_at", sa.DateTime(timezone=True)),
        schema=S,
    )
    op.create_table(
        "lti_lineitems",
        sa.Column("platform_id", sa.Uuid(), sa.ForeignKey(f"{S}.lti_platforms.id"), primary_key=True),
        sa.Column("context_id", sa.String(500), primary_key=True),
        sa.Column("assignment_id", sa.Uuid(), sa.ForeignKey(f"{S}.assignments.id"), primary_key=True),
        sa.Column("lineitem_url", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        schema=S,
    )
    op.create_index("ix_lti_lineitems_assignment", "lti_lineitems", ["assignment_id"], schema=S)
    op.create_table(
        "lti_tool_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
        schema=S,
    )


def downgrade() -> None:
    op.drop_table("lti_tool_keys", schema=S)
    op.drop_table("lti_lineitems", schema=S)
    op.drop_table("lti_contexts", schema=S)
    op.drop_table("lti_nonces", schema=S)
    op.drop_table("lti_platforms", schema=S)

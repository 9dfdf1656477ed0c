"""The teacher's loop: assignment suite versions and archiving, the version that graded each
submission, grade overrides, each submission's grade history, and regrades with their items.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "0017", "0016"
branch_labels = depends_on = None
S = "gateway"


def _version() -> sa.Column[int]:
    return sa.Column("suite_version", sa.Integer(), server_default="1", nullable=False)


def upgrade() -> None:
    op.add_column("assignments", _version(), schema=S)
    op.add_column("assignments", sa.Column("archived_at", sa.DateTime(timezone=True)), schema=S)
    op.add_column("test_cases", _version(), schema=S)
    op.create_index(
        "ix_gateway_test_cases_assignment_version", "test_cases", ["assignment_id", "suite_version"], schema=S
    )
    op.add_column("submissions", sa.Column("suite_version", sa.Integer()), schema=S)
    op.add_column("submissions", sa.Column("override_score", sa.Integer()), schema=S)
    op.add_column("submissions", sa.Column("override_reason", sa.String(500)), schema=S)
    op.add_column("submissions", sa.Column("override_by", sa.Uuid()), schema=S)
    op.add_column("submissions", sa.Column("override_at", sa.DateTime(timezone=True)), schema=S)
    op.create_table(
        "grade_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("submission_id", sa.Uuid(), sa.ForeignKey(f"{S}.submissions.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("suite_version", sa.Integer()),
        sa.Column("score", sa.Integer()),
        sa.Column("raw_score", sa.Integer()),
        sa.Column("max_score", sa.Integer()),
        sa.Column("verdict", sa.String(32)),
        sa.Column("regrade_id", sa.Uuid()),
        sa.Column("by_user", sa.Uuid()),
        sa.Column("reason", sa.String(500)),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('graded', 'regraded', 'override', 'override_removed')", name="ck_grade_history_kind"
        ),
        schema=S,
    )
    op.create_index("ix_grade_history_submission", "grade_history", ["submission_id", "id"], schema=S)
    op.create_table(
        "regrades",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("assignment_id", sa.Uuid(), sa.ForeignKey(f"{S}.assignments.id"), nullable=False),
        sa.Column("suite_version", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("submission_id", sa.Uuid(), sa.ForeignKey(f"{S}.submissions.id")),
        sa.Column("requested_by", sa.Uuid(), sa.ForeignKey(f"{S}.users.id"), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("scope IN ('all', 'latest', 'best', 'one')", name="ck_regrades_scope"),
        schema=S,
    )
    # Asked twice for the same version and scope: one regrade (of one submission: per submission).
    op.create_index(
        "ux_regrades_once",
        "regrades",
        ["assignment_id", "suite_version", "scope", sa.text("coalesce(submission_id, assignment_id)")],
        unique=True,
        schema=S,
    )
    op.create_index("ix_gateway_regrades_requested_by", "regrades", ["requested_by"], schema=S)
    op.create_index("ix_gateway_regrades_submission_id", "regrades", ["submission_id"], schema=S)
    op.create_table(
        "regrade_items",
        sa.Column("regrade_id", sa.Uuid(), sa.ForeignKey(f"{S}.regrades.id"), primary_key=True),
        sa.Column("submission_id", sa.Uuid(), sa.ForeignKey(f"{S}.submissions.id"), primary_key=True),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        schema=S,
    )
    op.create_index("ix_gateway_regrade_items_submission_id", "regrade_items", ["submission_id"], schema=S)
    op.create_index(
        "ix_regrade_items_unsent",
        "regrade_items",
        ["regrade_id", "submission_id"],
        schema=S,
        postgresql_where=sa.text("sent_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("regrade_items", schema=S)
    op.drop_table("regrades", schema=S)
    op.drop_table("grade_history", schema=S)
    for column in ("override_at", "override_by", "override_reason", "override_score", "suite_version"):
        op.drop_column("submissions", column, schema=S)
    op.drop_index("ix_gateway_test_cases_assignment_version", "test_cases", schema=S)
    op.drop_column("test_cases", "suite_version", schema=S)
    op.drop_column("assignments", "archived_at", schema=S)
    op.drop_column("assignments", "suite_version", schema=S)

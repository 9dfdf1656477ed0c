"""The gateway's schema: catalogue (users, courses, enrollments, assignments, tests), the
submissions read model, ad-hoc runs, course events, and the kit's outbox and inbox."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from gradeflow_shared.kit_tables import inbox_table, key, limit_columns, outbox_table, stamp, test_cases_table

SCHEMA = "gateway"
metadata = sa.MetaData(schema=SCHEMA)


users = sa.Table(
    "users",
    metadata,
    key(),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    stamp(),
)

courses = sa.Table(
    "courses",
    metadata,
    key(),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("created_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    stamp(),
    # Whether a student's grades also reach the parents who follow them.
    sa.Column("grades_to_parents", sa.Boolean, nullable=False, server_default=sa.false()),
)

enrollments = sa.Table(
    "enrollments",
    metadata,
    sa.Column("course_id", sa.Uuid, sa.ForeignKey("courses.id"), primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), primary_key=True, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    stamp(),
    sa.CheckConstraint("role IN ('student', 'teacher', 'parent')", name="ck_enrollments_role"),
)

# A parent's enrollment follows one or more of the course's students.
parent_links = sa.Table(
    "parent_links",
    metadata,
    key("course_id"),
    key("parent_id"),
    sa.Column("student_id", sa.Uuid, sa.ForeignKey("users.id"), primary_key=True),
    sa.ForeignKeyConstraint(
        ["course_id", "parent_id"], ["enrollments.course_id", "enrollments.user_id"], ondelete="CASCADE"
    ),
    sa.Index("ix_parent_links_student", "student_id"),
)

assignments = sa.Table(
    "assignments",
    metadata,
    key(),
    sa.Column("course_id", sa.Uuid, sa.ForeignKey("courses.id"), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False),
    *limit_columns(),
    # The teacher's checker program, for tests compared by "checker".
    sa.Column("checker_language", sa.String(32)),
    sa.Column("checker_source", sa.Text),
    # Which languages it takes (null: all), when it is due, and what happens to late work.
    sa.Column("languages", ARRAY(sa.String(32))),
    sa.Column("due_at", sa.DateTime(timezone=True)),
    sa.Column("close_at", sa.DateTime(timezone=True)),
    sa.Column("late_policy", sa.String(16), nullable=False, server_default="accept"),
    sa.Column("late_penalty_percent", sa.Integer, nullable=False, server_default="10"),
    stamp(),
    sa.CheckConstraint("late_policy IN ('accept', 'penalty', 'refuse')", name="ck_assignments_late_policy"),
    # Each change of its tests, checker or limits is a new version; archived: hidden, kept.
    sa.Column("suite_version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("archived_at", sa.DateTime(timezone=True)),
)

test_cases = test_cases_table(metadata)

submissions = sa.Table(
    "submissions",
    metadata,
    key(),
    sa.Column("assignment_id", sa.Uuid, sa.ForeignKey("assignments.id"), nullable=False, index=True),
    sa.Column("student_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("language", sa.String(32), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("verdict", sa.String(32)),
    sa.Column("score", sa.Integer),  # after a late penalty
    sa.Column("max_score", sa.Integer),
    sa.Column("results", JSONB),
    sa.Column("late_days", sa.Integer, nullable=False, server_default="0"),
    sa.Column("penalty_percent", sa.Integer, nullable=False, server_default="0"),
    sa.Column("raw_score", sa.Integer),  # as graded
    stamp(),
    stamp("updated_at"),
    sa.Index("ix_submissions_student_created", "student_id", "created_at"),
    sa.Column("suite_version", sa.Integer),  # the suite's version that graded it
    # A teacher's grade in place of the graded one, with why (kept through regrades).
    sa.Column("override_score", sa.Integer),
    sa.Column("override_reason", sa.String(500)),
    sa.Column("override_by", sa.Uuid),
    sa.Column("override_at", sa.DateTime(timezone=True)),
)

# Every grade a submission had: graded, regraded (a suite version), overridden and back.
grade_history = sa.Table(
    "grade_history",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("submission_id", sa.Uuid, sa.ForeignKey("submissions.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("suite_version", sa.Integer),
    sa.Column("score", sa.Integer),
    sa.Column("raw_score", sa.Integer),
    sa.Column("max_score", sa.Integer),
    sa.Column("verdict", sa.String(32)),
    sa.Column("regrade_id", sa.Uuid),
    sa.Column("by_user", sa.Uuid),
    sa.Column("reason", sa.String(500)),
    stamp("at"),
    sa.CheckConstraint(
        "kind IN ('graded', 'regraded', 'override', 'override_removed')", name="ck_grade_history_kind"
    ),
    sa.Index("ix_grade_history_submission", "submission_id", "id"),
)

# A teacher's regrade: of an assignment's submissions (all, each student's latest or best) or of
# one, against a suite version; its items are the submissions it regrades (progress: how many of
# them a version this one or later has graded), fed to the grader a slice at a time.
regrades = sa.Table(
    "regrades",
    metadata,
    key(),
    sa.Column("assignment_id", sa.Uuid, sa.ForeignKey("assignments.id"), nullable=False),
    sa.Column("suite_version", sa.Integer, nullable=False),
    sa.Column("scope", sa.String(16), nullable=False),
    sa.Column("submission_id", sa.Uuid, sa.ForeignKey("submissions.id"), index=True),
    sa.Column("requested_by", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("total", sa.Integer, nullable=False),
    stamp(),
    sa.CheckConstraint("scope IN ('all', 'latest', 'best', 'one')", name="ck_regrades_scope"),
    sa.Index(
        "ux_regrades_once",
        "assignment_id",
        "suite_version",
        "scope",
        sa.text("coalesce(submission_id, assignment_id)"),
        unique=True,
    ),
)

regrade_items = sa.Table(
    "regrade_items",
    metadata,
    sa.Column("regrade_id", sa.Uuid, sa.ForeignKey("regrades.id"), primary_key=True),
    sa.Column("submission_id", sa.Uuid, sa.ForeignKey("submissions.id"), primary_key=True, index=True),
    # Staged in the outbox (a slice at a time, behind live work): when.
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Index(
        "ix_regrade_items_unsent", "regrade_id", "submission_id", postgresql_where=sa.text("sent_at IS NULL")
    ),
)

# Ad-hoc runs (the "run" button, the Judge0-compatible API): request and, once run, result.
runs = sa.Table(
    "runs",
    metadata,
    key(),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("language", sa.String(32), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("stdin", sa.Text, nullable=False),
    sa.Column("expected_stdout", sa.Text),
    *limit_columns(),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("verdict", sa.String(32)),
    sa.Column("result", JSONB),
    stamp(),
    stamp("updated_at"),
)

# Judge0 callbacks: waiting for the run, then pending until PUT to the URL (attempts, a lease).
callbacks = sa.Table(
    "callbacks",
    metadata,
    sa.Column("run_id", sa.Uuid, sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("base64", sa.Boolean, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    stamp("next_attempt_at"),
    sa.Column("last_error", sa.Text),
    stamp(),
    sa.CheckConstraint("state IN ('waiting', 'pending', 'sent', 'failed')", name="ck_callbacks_state"),
    sa.Index("ix_callbacks_due", "next_attempt_at", postgresql_where=sa.text("state = 'pending'")),
)

# A teacher's event for a course's audience (the notifier fans it out to each member).
course_events = sa.Table(
    "course_events",
    metadata,
    key(),
    sa.Column("course_id", sa.Uuid, sa.ForeignKey("courses.id"), nullable=False),
    sa.Column("author_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("priority", sa.String(8), nullable=False),
    sa.Column("audience", sa.String(16), nullable=False),
    stamp(),
    sa.CheckConstraint(
        "category IN ('announcement', 'deadline', 'exam', 'grade')", name="ck_course_events_category"
    ),
    sa.CheckConstraint("priority IN ('low', 'normal', 'high')", name="ck_course_events_priority"),
    sa.CheckConstraint(
        "audience IN ('students', 'teachers', 'parents', 'all')", name="ck_course_events_audience"
    ),
    sa.Index("ix_course_events_course_created", "course_id", "created_at"),
    # Corrected (each correction the next revision, told to its audience once) or cancelled.
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cancelled_at", sa.DateTime(timezone=True)),
)

# A client's Idempotency-Key: the first request's fingerprint and, once answered, its answer (status
# NULL: still being worked on).
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("client", sa.String(100), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("headers", JSONB),
    sa.Column("body", sa.LargeBinary),
    stamp(),
    sa.Index("ix_idempotency_keys_created", "created_at"),  # expired keys are swept by age
)

# An integration's key: found by its prefix, proved by its secret (only the digest kept).
api_keys = sa.Table(
    "api_keys",
    metadata,
    key(),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(8), nullable=False, unique=True),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("scopes", ARRAY(sa.String(16)), nullable=False),
    stamp(),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    # The key's own limit on code runs (a Moodle site's one key runs for all its students): that
    # many per period; 0, none; null, the deployment's (RATE_LIMITS), per user.
    sa.Column("runs_limit", sa.Integer),
    sa.Column("runs_period_seconds", sa.Integer),
)

# An identity provider's user, bound to a Gradeflow user at their first request.
identities = sa.Table(
    "identities",
    metadata,
    sa.Column("issuer", sa.String(500), primary_key=True),
    sa.Column("subject", sa.String(500), primary_key=True),
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id"), nullable=False, index=True),
    stamp(),
)

# Jobe's files (PUT files/{id}): kept by the client's id until they expire; a run's file_list
# names them. The id is the client's (CodeRunner: the content's MD5), so the same file is one row.
jobe_files = sa.Table(
    "jobe_files",
    metadata,
    # A file is its owner's: another key's user neither reads, checks nor overwrites it.
    sa.Column("owner_id", sa.Uuid, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
    stamp(),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

# LTI 1.3 (docs/lti.md): a platform (an LMS) an admin registered, identified by its issuer and
# the client id it gave Gradeflow; its launches come from the deployments named.
lti_platforms = sa.Table(
    "lti_platforms",
    metadata,
    key(),
    sa.Column("issuer", sa.String(500), nullable=False),
    sa.Column("client_id", sa.String(500), nullable=False),
    sa.Column("deployment_ids", ARRAY(sa.String(500)), nullable=False),
    sa.Column("auth_login_url", sa.String(2000), nullable=False),
    sa.Column("auth_token_url", sa.String(2000), nullable=False),
    sa.Column("key_set_url", sa.String(2000), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    stamp(),
    sa.UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),
)

# A launch's nonce, taken once: the same launch replayed (by any replica) is refused.
lti_nonces = sa.Table(
    "lti_nonces",
    metadata,
    sa.Column("nonce", sa.String(200), primary_key=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

# The course a platform's context (its course) is: made at the context's first launch.
lti_contexts = sa.Table(
    "lti_contexts",
    metadata,
    sa.Column("platform_id", sa.Uuid, sa.ForeignKey("lti_platforms.id"), primary_key=True),
    sa.Column("context_id", sa.String(500), primary_key=True),
    sa.Column("course_id", sa.Uuid, sa.ForeignKey("courses.id"), nullable=False, index=True),
    stamp(),
    # Its roster's address at the platform (Names and Role Provisioning), as the last launch gave
    # it, and when the roster was last synced from it.
    sa.Column("memberships_url", sa.String(2000)),
    sa.Column("synced_at", sa.DateTime(timezone=True)),
)

# An assignment's line item (its grades' column) in a platform's context, as the launches of its
# activity name it (the AGS claim's `lineitem`): where its grades are posted.
lti_lineitems = sa.Table(
    "lti_lineitems",
    metadata,
    sa.Column("platform_id", sa.Uuid, sa.ForeignKey("lti_platforms.id"), primary_key=True),
    sa.Column("context_id", sa.String(500), primary_key=True),
    sa.Column("assignment_id", sa.Uuid, sa.ForeignKey("assignments.id"), primary_key=True),
    sa.Column("lineitem_url", sa.String(2000), nullable=False),
    stamp(),
    sa.Index("ix_lti_lineitems_assignment", "assignment_id"),
)

# The tool's own RSA keys (its JWKS; they sign deep-linking answers and service token requests),
# sealed with a key derived from AUTH_SECRET. A retired key is still published until retired_at.
lti_tool_keys = sa.Table(
    "lti_tool_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("sealed_key", sa.LargeBinary, nullable=False),
    stamp(),
    sa.Column("retired_at", sa.DateTime(timezone=True)),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

"""What a stored row holds, as the gateway's use cases read it: one protocol a kind, which the
repositories' rows (a database row, a fake's record) satisfy by their attributes; and the shapes
of what the repositories are given to write."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, TypedDict
from uuid import UUID

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
Fields = dict[str, object]  # the columns a write sets, by name
JsonObject = Mapping[str, object]  # a JSON object another party sent: each member checked when read


class UserRecord(Protocol):
    id: UUID
    email: str
    name: str
    created_at: datetime


class CourseRecord(Protocol):
    id: UUID
    title: str
    created_by: UUID
    grades_to_parents: bool
    created_at: datetime


class CourseOfUser(CourseRecord, Protocol):
    """A course with the user's role in it."""

    role: str


class EnrollmentRecord(Protocol):
    """A member's role in a course and, for a parent, the students they follow."""

    role: str
    children: Sequence[UUID] | None


class MemberRecord(Protocol):
    user_id: UUID
    role: str
    created_at: datetime
    email: str
    name: str
    children: Sequence[UUID] | None


class CourseEventRecord(Protocol):
    id: UUID
    course_id: UUID
    author_id: UUID
    title: str
    body: str
    category: str
    priority: str
    audience: str
    created_at: datetime
    revision: int
    cancelled_at: datetime | None


class Limits(Protocol):
    """A run's limits, as gradeflow_shared.limits names them."""

    time_limit_ms: int
    wall_limit_ms: int | None
    memory_limit_mb: int
    max_processes: int
    max_file_kb: int
    stack_limit_mb: int
    max_output_kb: int
    disk_limit_mb: int


class AssignmentRecord(Limits, Protocol):
    id: UUID
    course_id: UUID
    title: str
    checker_language: str | None
    checker_source: str | None
    languages: Sequence[str] | None
    due_at: datetime | None
    close_at: datetime | None
    late_policy: str
    late_penalty_percent: int
    created_at: datetime
    suite_version: int
    archived_at: datetime | None


class TestCaseRecord(Protocol):
    id: UUID
    assignment_id: UUID
    position: int
    stdin: str
    expected_stdout: str
    weight: int
    hidden: bool
    comparison: str
    tolerance: float


class SubmissionRecord(Protocol):
    id: UUID
    assignment_id: UUID
    student_id: UUID
    language: str
    source: str
    status: str
    verdict: str | None
    score: int | None
    max_score: int | None
    results: JsonValue
    late_days: int
    penalty_percent: int
    raw_score: int | None
    created_at: datetime
    updated_at: datetime
    suite_version: int | None
    override_score: int | None
    override_reason: str | None
    override_by: UUID | None
    override_at: datetime | None


class SubmissionInCourse(SubmissionRecord, Protocol):
    """A submission with its assignment's course."""

    course_id: UUID


class SubmitTarget(Protocol):
    """What a submit needs of its assignment, and the caller's role in its course (None: not a
    member)."""

    course_id: UUID
    role: str | None
    languages: Sequence[str] | None
    due_at: datetime | None
    close_at: datetime | None
    late_policy: str
    late_penalty_percent: int


class SubmissionAdded(Protocol):
    id: UUID
    status: str
    created_at: datetime


class RunRecord(Limits, Protocol):
    id: UUID
    user_id: UUID
    language: str
    source: str
    stdin: str
    expected_stdout: str | None
    status: str
    verdict: str | None
    result: JsonValue
    created_at: datetime
    updated_at: datetime


class CallbackDue(Protocol):
    """A run's result callback taken for a lease (this attempt counted)."""

    run_id: UUID
    url: str
    base64: bool
    attempts: int


class RunStatistics(TypedDict):
    submissions: dict[str, int]  # total, today, last_30_days
    languages: list[tuple[str, int]]
    verdicts: list[tuple[str, str | None, int]]  # (status, verdict, how many)
    size_in_bytes: int


class ApiKeyRecord(Protocol):
    id: UUID
    user_id: UUID
    name: str
    prefix: str
    secret_sha256: str
    scopes: Sequence[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    runs_limit: int | None
    runs_period_seconds: int | None


class IdempotencyRecord(Protocol):
    """The first request's fingerprint, and its answer once given (status None until then)."""

    fingerprint: str
    status: int | None
    headers: dict[str, str] | None
    body: bytes | None


class Identified(Protocol):
    id: UUID


@dataclass(frozen=True)
class GradeReceived:
    """A grade as the grader sent it (before any late penalty), as the read model takes it."""

    raw_score: int
    max_score: int
    verdict: str
    suite_version: int
    regrade_id: UUID | None  # a regrade's, or None for a first grade
    results: list[JsonValue]  # each test's outcome


class RegradeRecord(Protocol):
    """A regrade asked: of an assignment's submissions (a scope) or of one, against a suite version."""

    id: UUID
    assignment_id: UUID
    submission_id: UUID | None
    scope: str
    suite_version: int
    total: int
    created_at: datetime


class RegradeInCourse(RegradeRecord, Protocol):
    course_id: UUID


class RegradeItemDue(Protocol):
    """A regrade's submission not yet sent to the grader, with what its event carries."""

    regrade_id: UUID
    submission_id: UUID
    suite_version: int
    assignment_id: UUID
    course_id: UUID
    student_id: UUID
    language: str
    source: str
    override_score: int | None


@dataclass(frozen=True)
class SubmissionsWanted:
    """Which submissions a page lists: of an assignment, of a student, or both; with `per_student`
    only each student's latest or best scored (then newest)."""

    assignment_id: UUID | None = None
    student_id: UUID | None = None
    per_student: Literal["latest", "best"] | None = None


@dataclass(frozen=True)
class GradeHistoryLine:
    """A grade a submission had: from the grader, from a regrade, a teacher's override, or an
    override taken back (the API answers with it as it is)."""

    kind: Literal["graded", "regraded", "override", "override_removed"]
    suite_version: int | None
    score: int | None
    max_score: int | None
    verdict: str | None
    reason: str | None
    at: datetime


class GradebookColumn(Protocol):
    id: UUID
    title: str
    due_at: datetime | None


class GradebookStudent(Protocol):
    id: UUID
    name: str
    email: str


class ChosenSubmission(Protocol):
    """A student's submission the gradebook shows for an assignment, with the grade they have."""

    id: UUID
    assignment_id: UUID
    student_id: UUID
    score: int | None
    max_score: int | None
    late_days: int
    override_score: int | None
    override_reason: str | None
    grade: int | None  # the override if any, else the score


class LtiPlatformRecord(Protocol):
    """An LTI 1.3 platform (an LMS) an admin registered."""

    id: UUID
    issuer: str
    client_id: str
    deployment_ids: Sequence[str]
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    name: str
    created_at: datetime


class LtiToolKeyRecord(Protocol):
    kid: str
    sealed_key: bytes
    created_at: datetime
    retired_at: datetime | None


class LtiContextRecord(Protocol):
    """A platform's context linked to a course, with the platform's issuer."""

    platform_id: UUID
    context_id: str
    course_id: UUID
    issuer: str
    memberships_url: str | None
    synced_at: datetime | None


class LtiScoreTarget(LtiPlatformRecord, Protocol):
    """A line item a student's grade goes to, with its platform's fields."""

    lineitem_url: str
    subject: str  # the student, as the platform knows them

"""What the gateway's use cases need from the outside, as small protocols: the store (rows come
back as records with the table's columns as attributes) and the unit of work around it. The
adapters implement them; unit tests pass in-memory fakes."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from starlette.requests import Request
from starlette.responses import Response

from gateway import schemas as s
from gateway.domain.limits import Decision, Rate
from gateway.domain.records import (
    ApiKeyRecord,
    AssignmentRecord,
    CallbackDue,
    ChosenSubmission,
    CourseEventRecord,
    CourseOfUser,
    CourseRecord,
    EnrollmentRecord,
    Fields,
    GradebookColumn,
    GradebookStudent,
    GradeHistoryLine,
    GradeReceived,
    IdempotencyRecord,
    Identified,
    JsonObject,
    JsonValue,
    LtiContextRecord,
    LtiPlatformRecord,
    LtiScoreTarget,
    LtiToolKeyRecord,
    MemberRecord,
    RegradeInCourse,
    RegradeItemDue,
    RegradeRecord,
    RunRecord,
    RunStatistics,
    SubmissionAdded,
    SubmissionInCourse,
    SubmissionRecord,
    SubmissionsWanted,
    SubmitTarget,
    TestCaseRecord,
    UserRecord,
)
from gradeflow_shared.batching import Batcher
from gradeflow_shared.unit_of_work import UnitOfWork, UnitsOfWork

Before = tuple[datetime, UUID] | None


class SubmitStore(Protocol):
    """The group commit of submits (usecases/submissions.accept), on a unit of its own: the one
    path of the gateway that runs hundreds of times a second (adapters/db/submit_store.py)."""

    async def submit_targets(
        self, pairs: Sequence[tuple[UUID, UUID]]
    ) -> Mapping[tuple[UUID, UUID], SubmitTarget]:
        """For each (assignment, user) pair whose assignment exists: the assignment's
        `course_id` and the user's `role` in that course (None if not enrolled); one read."""
        ...

    async def add_submissions(self, many: Sequence[Fields]) -> Sequence[SubmissionAdded]:
        """Insert queued submissions (student_id, assignment_id, language, source) in one
        statement; each new row's `id`, `status` and `created_at`, in the order given."""
        ...


class Users(Protocol):
    """Users and the identities (issuer, subject) bound to them."""

    async def upsert_user(self, email: str, name: str) -> UserRecord: ...
    async def get_user(self, user_id: UUID) -> UserRecord | None: ...
    async def user_by_email(self, email: str) -> UserRecord | None: ...
    async def add_user(self, user_id: UUID, email: str, name: str) -> UUID:
        """A new user, or the id of the one that has the email already."""
        ...

    async def identity(self, issuer: str, subject: str) -> UUID | None: ...
    async def bind_identity(self, issuer: str, subject: str, user_id: UUID) -> UUID:
        """Bound to `user_id` unless bound already: the user it is bound to."""
        ...

    async def users_by_email(self, emails: Sequence[str]) -> dict[str, UUID]: ...
    async def users_by_id(self, user_ids: Sequence[UUID]) -> Sequence[UserRecord]: ...
    async def add_new_users(self, people: Sequence[tuple[str, str]]) -> dict[str, UUID]:
        """(email, name) pairs → the id of each user made; an email taken already makes none."""
        ...

    async def upsert_users(self, people: Sequence[tuple[str, str]]) -> dict[str, UUID]:
        """(email, name) pairs → each email's user id, in one statement."""
        ...

    async def users_page(self, email: str | None, limit: int, before: Before) -> Sequence[UserRecord]: ...


class Courses(Protocol):
    """Courses, their members (enrollments and the students a parent follows) and their events."""

    async def taught_by(self, teacher_id: UUID, user_ids: Sequence[UUID]) -> set[UUID]:
        """Those of `user_ids` who are members of a course `teacher_id` teaches."""
        ...

    async def students_by_email(self, course_id: UUID, emails: Sequence[str]) -> dict[str, UUID]: ...
    async def upsert_enrollments(self, course_id: UUID, members: Sequence[tuple[UUID, str]]) -> None:
        """(user, role) for each member — one, or a roster's all — in one statement."""
        ...

    async def add_parent_links(self, course_id: UUID, links: Sequence[tuple[UUID, UUID]]) -> None:
        """(parent, student) pairs; a link already there is kept."""
        ...

    async def add_course(self, teacher_id: UUID, fields: Fields) -> CourseRecord:
        """`fields`: title, grades_to_parents."""
        ...

    async def update_course(self, course_id: UUID, fields: Fields) -> CourseRecord: ...
    async def get_course(self, course_id: UUID) -> CourseRecord | None: ...
    # Pages, newest first, older than `before` (created_at, id) when given.
    async def courses_page(self, user_id: UUID, limit: int, before: Before) -> Sequence[CourseOfUser]:
        """The user's courses, each with the user's `role` in it."""
        ...

    async def members_page(
        self, course_id: UUID, role: str | None, limit: int, before: Before
    ) -> Sequence[MemberRecord]:
        """A course's members: user_id, role, created_at (enrolled), email, name, children."""
        ...

    async def course_events_page(
        self, course_id: UUID, limit: int, before: Before, audiences: Sequence[str]
    ) -> Sequence[CourseEventRecord]: ...
    async def enrollment(self, course_id: UUID, user_id: UUID) -> EnrollmentRecord | None:
        """The member's `role` and, for a parent, the `children` they follow (a list)."""
        ...

    async def add_course_event(self, fields: Fields) -> CourseEventRecord: ...
    async def get_course_event(self, event_id: UUID) -> CourseEventRecord | None:
        """Locked until the unit ends (revisions follow each other)."""
        ...

    async def revise_course_event(
        self, event_id: UUID, fields: Fields, cancel: bool
    ) -> CourseEventRecord: ...
    async def remove_enrollment(self, course_id: UUID, user_id: UUID) -> None: ...
    async def teachers_of(self, course_id: UUID) -> int: ...


class Assignments(Protocol):
    """Assignments and their test cases."""

    async def assignments_page(
        self, course_id: UUID, limit: int, before: Before, archived: bool = False
    ) -> Sequence[AssignmentRecord]: ...
    async def add_assignment(self, course_id: UUID, fields: Fields) -> AssignmentRecord: ...
    async def update_assignment(self, assignment_id: UUID, fields: Fields) -> AssignmentRecord: ...
    async def archive_assignment(self, assignment_id: UUID) -> None:
        """Archived as of now (the database's clock)."""
        ...

    async def add_test_cases(
        self, assignment_id: UUID, tests: Sequence[Fields], suite_version: int = 1
    ) -> Sequence[TestCaseRecord]: ...
    async def get_assignment(self, assignment_id: UUID, lock: bool = False) -> AssignmentRecord | None: ...
    async def list_test_cases(self, assignment_id: UUID, suite_version: int) -> Sequence[TestCaseRecord]: ...


class Submissions(Protocol):
    """Submissions and their read model (status, verdict, score)."""

    async def submissions_page(
        self, wanted: SubmissionsWanted, limit: int, before: Before
    ) -> Sequence[SubmissionRecord]: ...

    async def get_submission(self, submission_id: UUID) -> SubmissionInCourse | None:
        """The submission with its assignment's `course_id`."""
        ...

    async def advance_submission(
        self, submission_id: UUID, allowed_from: Sequence[str], **values: object
    ) -> int: ...
    async def grade_submission(
        self, submission_id: UUID, allowed_from: Sequence[str], grade: GradeReceived
    ) -> int:
        """`advance_submission` to a grade: `raw_score` kept, and `score` is it less the
        submission's own late penalty (deadlines.penalised), in the same write; a graded one only
        by a later suite version. Each grade written is kept in the history."""
        ...


class Grades(Protocol):
    """Grades beyond the first: regrades, overrides, the history, the gradebook (rows)."""

    async def regrade_of(
        self, assignment_id: UUID, suite_version: int, scope: str, submission_id: UUID | None
    ) -> RegradeRecord | None: ...
    async def regrade_targets(self, assignment_id: UUID, scope: str) -> Sequence[Identified]: ...
    async def add_regrade(self, fields: Fields, submission_ids: Sequence[UUID]) -> RegradeRecord: ...
    async def take_unsent(self, limit: int) -> Sequence[RegradeItemDue]:
        """Regrade items not yet sent (marked sent now), with what their event carries."""
        ...

    async def get_regrade(self, regrade_id: UUID) -> RegradeInCourse | None: ...
    async def regrade_done(self, regrade_id: UUID, suite_version: int) -> int: ...
    async def set_override(
        self, submission_id: UUID, score: int | None, reason: str | None, by: UUID
    ) -> None: ...
    async def history(self, submission_id: UUID) -> Sequence[GradeHistoryLine]: ...
    async def course_assignments(self, course_id: UUID) -> Sequence[GradebookColumn]: ...
    async def students_page(
        self, course_id: UUID, limit: int, after: UUID | None
    ) -> Sequence[GradebookStudent]: ...
    async def chosen_submissions(
        self, assignment_ids: Sequence[UUID], student_ids: Sequence[UUID], rule: str
    ) -> Sequence[ChosenSubmission]: ...


class Runs(Protocol):
    """Ad-hoc runs (the Judge0 and Jobe surfaces) and their result callbacks."""

    async def user_runs(self, user_id: UUID, offset: int, limit: int) -> tuple[int, Sequence[RunRecord]]: ...
    async def delete_run(self, run_id: UUID) -> None: ...
    async def run_statistics(self) -> RunStatistics:
        """submissions {total, today, last_30_days}; languages [(id, n)]; verdicts [(status,
        verdict, n)]; size_in_bytes."""
        ...

    async def add_callbacks(self, many: Sequence[tuple[UUID, str, bool]]) -> None: ...
    async def callback_due(self, run_id: UUID) -> None: ...
    async def claim_callbacks(self, limit: int, lease_seconds: float) -> Sequence[CallbackDue]:
        """run_id, url, base64, attempts (this one counted) of each due callback, leased."""
        ...

    async def settle_callback(
        self, run_id: UUID, state: str, error: str | None, retry_in_seconds: float | None = None
    ) -> None: ...
    async def add_runs(self, user_id: UUID, many: list[Fields]) -> Sequence[RunRecord]: ...
    async def get_runs(self, run_ids: list[UUID]) -> Mapping[UUID, RunRecord]: ...
    async def complete_run(self, run_id: UUID, verdict: str, result: dict[str, JsonValue]) -> int: ...


class JobeFiles(Protocol):
    """Jobe's files, kept per owner for a while."""

    async def put_file(self, owner_id: UUID, file_id: str, content: bytes, ttl_seconds: float) -> None: ...
    async def files_kept_by(self, owner_id: UUID, but: str) -> tuple[int, int]: ...
    async def kept_files(self, owner_id: UUID, file_ids: Sequence[str]) -> set[str]: ...
    async def files(self, owner_id: UUID, file_ids: Sequence[str]) -> dict[str, bytes]:
        """The owner's unexpired files among `file_ids`, by id."""
        ...


class ApiKeys(Protocol):
    """API keys (only their hashes are kept)."""

    async def add_api_key(self, user_id: UUID, fields: Fields) -> ApiKeyRecord: ...
    async def api_keys_of(self, user_id: UUID) -> Sequence[ApiKeyRecord]: ...
    async def api_key_by_prefix(self, prefix: str) -> ApiKeyRecord | None: ...
    async def revoke_api_key(self, user_id: UUID, key_id: UUID) -> str | None:
        """The revoked key's prefix; None when the user has no such key."""
        ...

    async def touch_api_key(self, key_id: UUID) -> None: ...
    async def update_api_key(self, key_id: UUID, fields: Fields) -> ApiKeyRecord | None:
        """The key of whichever user holds it (an admin's change); None when there is no such key."""
        ...


class IdempotencyKeys(Protocol):
    """Idempotency keys and the answers kept for them."""

    async def take_idempotency_key(
        self, client: str, key: str, fingerprint: str, ttl_seconds: float, lock_seconds: float
    ) -> bool:
        """True: the key is this request's now (new, expired, or abandoned unanswered)."""
        ...

    async def idempotency_key(self, client: str, key: str) -> IdempotencyRecord | None:
        """fingerprint, status (None while unanswered), headers, body."""
        ...

    async def answer_idempotency_key(
        self, client: str, key: str, status: int, headers: dict[str, str], body: bytes
    ) -> None: ...
    async def release_idempotency_key(self, client: str, key: str) -> None: ...


class LtiPlatforms(Protocol):
    """LTI 1.3 platforms, the nonces their launches used, and the course each context is."""

    async def add_platform(self, fields: Fields) -> LtiPlatformRecord | None:
        """The new platform; None if one has its issuer and client id already."""
        ...

    async def platforms(self) -> Sequence[LtiPlatformRecord]: ...
    async def platform_by_id(self, platform_id: UUID) -> LtiPlatformRecord | None: ...
    async def platform(self, issuer: str, client_id: str | None) -> LtiPlatformRecord | None:
        """The issuer's platform with that client id — without one, the issuer's only platform."""
        ...

    async def take_nonce(self, nonce: str, expires_at: datetime) -> bool:
        """Whether the nonce was unused (it is used now); nonces past their expiry are forgotten."""
        ...

    async def add_tool_key(self, kid: str, sealed: bytes, retire_others_at: datetime | None) -> None:
        """A new tool key; the others, if `retire_others_at`, published until then."""
        ...

    async def tool_keys(self) -> Sequence[LtiToolKeyRecord]:
        """The tool keys still published, the signing one (newest unretired) first."""
        ...

    async def context_course(self, platform_id: UUID, context_id: str) -> UUID | None: ...
    async def set_memberships_url(self, platform_id: UUID, context_id: str, url: str) -> None: ...
    async def course_contexts(self, course_id: UUID) -> Sequence[LtiContextRecord]:
        """The platform contexts linked to the course, each with its platform's `issuer`."""
        ...

    async def mark_synced(self, platform_id: UUID, context_id: str) -> None: ...
    async def set_lineitem(
        self, platform_id: UUID, context_id: str, assignment_id: UUID, url: str
    ) -> None: ...
    async def score_targets(self, assignment_id: UUID, student_id: UUID) -> Sequence[LtiScoreTarget]:
        """Where the student's grades of the assignment go: each linked platform's line item, with
        the platform's fields and the student's subject there."""
        ...

    async def identities_of(self, issuer: str, subjects: Sequence[str]) -> dict[str, UUID]:
        """The users the issuer's subjects are bound to (those bound)."""
        ...

    async def bind_identities(self, issuer: str, bound: Sequence[tuple[str, UUID]]) -> None:
        """(subject, user) pairs; a subject bound already stays as it was."""
        ...

    async def link_context(self, platform_id: UUID, context_id: str, course_id: UUID) -> UUID:
        """The context's course: `course_id`, unless a launch at the same time linked another."""
        ...


@dataclass(frozen=True)
class GatewayRepos:
    """The gateway's repositories, one an aggregate, all on one unit of work's transaction."""

    users: Users
    courses: Courses
    assignments: Assignments
    submissions: Submissions
    grades: Grades
    runs: Runs
    files: JobeFiles
    keys: ApiKeys
    idempotency: IdempotencyKeys
    lti: LtiPlatforms


class InboxApi(Protocol):
    """The notifier's inbox API, which the gateway serves through its door: a request passed on as
    it came and the answer (a live stream too) passed back."""

    async def forward(self, request: Request, user_id: UUID) -> Response:
        """Passed on for `user_id` (whom the gateway resolved the caller to)."""
        ...


class CallbackSender(Protocol):
    async def put(self, url: str, body: dict[str, object]) -> tuple[bool, bool, str | None]:
        """(delivered, worth retrying, what went wrong) of one PUT of `body` to `url`."""
        ...


class SubmissionFeed(Protocol):
    def subscribe(
        self, submission_id: UUID
    ) -> AbstractAsyncContextManager[asyncio.Queue[SubmissionInCourse | None]]:
        """After each move, the submission's row (with its assignment's `course_id`), or None when
        it is to be read from the store."""
        ...


class RunFeed(Protocol):
    def subscribe(self, run_id: UUID) -> AbstractContextManager[asyncio.Event]:
        """An event set when the run's result may have been recorded: read it then."""
        ...


class Backlog(Protocol):
    depths: dict[str, int]  # waiting messages per queue, as last counted
    consumers: dict[str, int]  # consumers per queue, as last counted

    def full(self, queue: str) -> bool:
        """Whether `queue` holds as many waiting messages as it may (new work is refused)."""
        ...


class PlatformKeyring(Protocol):
    async def key(self, url: str, kid: str) -> RSAPublicKey | None:
        """The RSA public key `kid` of the LTI platform's key set at `url` (launches are RS256 only);
        None if it has none such."""
        ...


class LoginStateSigner(Protocol):
    def issue(self, claims: dict[str, str]) -> str: ...
    def read(self, state: str) -> dict[str, str]:
        """The claims `issue` signed; LaunchRefused if the state is not one it signed, or expired."""
        ...


class ToolKeySealer(Protocol):
    def new(self) -> tuple[str, bytes]:
        """A new RSA key: its kid and its sealed form."""
        ...

    def open(self, kid: str, sealed: bytes) -> RSAPrivateKey: ...
    def public_jwk(self, kid: str, key: RSAPrivateKey) -> JsonObject: ...


class PlatformServices(Protocol):
    """A platform's LTI Advantage services, called with an access token of its token endpoint."""

    async def memberships(self, platform: LtiPlatformRecord, url: str, assertion: str) -> list[JsonObject]:
        """The context's members (Names and Role Provisioning), every page of them; `assertion`
        is the tool's signed client assertion for the token request."""
        ...

    async def post_score(
        self, platform: LtiPlatformRecord, lineitem_url: str, score: JsonObject, assertion: str
    ) -> None:
        """The score posted to the line item (Assignment and Grade Services); Unavailable if the
        platform could not take it now, PermanentError if it never will."""
        ...


class RateLimiter(Protocol):
    async def take(self, route_class: str, client: str, rate: Rate) -> Decision | None:
        """One request from `client` in `route_class`: the shared bucket's decision, or None when
        it cannot be asked."""
        ...


Uow = UnitOfWork[GatewayRepos]
Units = UnitsOfWork[GatewayRepos]
SubmitUnits = UnitsOfWork[SubmitStore]


@dataclass(frozen=True)
class Submit:
    """One caller's submission, waiting for the next group commit (usecases/submissions.py)."""

    student_id: UUID
    cmd: s.SubmissionIn


Intake = Batcher[Submit, s.SubmissionAccepted]


R = TypeVar("R")


class Offload(Protocol):
    def __call__(self, fn: Callable[..., R], /, *args: object) -> Awaitable[R]: ...


@dataclass(frozen=True)
class Context:
    """What every use case of the gateway needs, built once by the composition root."""

    units: Units
    intake: Intake  # submits grouped into shared units of work
    backlog: Backlog | None = None  # the grading queues' depth against their bounds
    feed: SubmissionFeed | None = None  # submissions' moves, for live streams
    runs_done: RunFeed | None = None  # runs' results recorded, for the requests waiting on them
    # Runs CPU-heavy pure work (a roster's parse) away from the event loop: by default a thread;
    # the service gives it a process of its own, so the work does not hold the loop's interpreter.
    offload: Offload = asyncio.to_thread

"""The event catalogue: every message that crosses a service boundary, as frozen, versioned models.

A change that would break a deployed consumer must bump `version` and keep the old shape readable;
tests/shared/unit/test_contracts.py pins the JSON schema of every event to catch it.
"""

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from gradeflow_shared.limits import RunLimits

Role = Literal["student", "teacher", "parent"]
Category = Literal["announcement", "deadline", "exam", "grade"]
Priority = Literal["low", "normal", "high"]
Audience = Literal["students", "teachers", "parents", "all"]
Outcome = Literal["processed", "duplicate", "retried", "dead_lettered"]
# "checker": the assignment's checker program decides (see CheckerSpec).
Comparison = Literal["exact", "trailing_whitespace", "tokens", "numeric", "checker"]
Verdict = Literal[
    "accepted",
    "wrong_answer",
    "time_limit_exceeded",
    "compilation_error",
    "runtime_error",
    "memory_limit_exceeded",
    "output_limit_exceeded",
    "internal_error",
]


class Event(BaseModel):
    """Base of every message body. `type` is also the routing key on the events exchange."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    type: ClassVar[str]
    version: ClassVar[int] = 1


class _OfATest(BaseModel):
    """What names one of an assignment's tests, in what is said of it."""

    __test__ = False  # a contract, not a pytest class
    model_config = ConfigDict(frozen=True)
    test_id: UUID
    position: int


class TestCaseSpec(_OfATest):
    stdin: str
    expected_stdout: str
    weight: int = Field(ge=0)
    hidden: bool
    # How output is compared: whitespace-insensitive at line ends by default (as Judge0).
    comparison: Comparison = "trailing_whitespace"
    tolerance: float = 1e-6  # numeric comparison: absolute or relative


class CheckerSpec(BaseModel):
    """A teacher's checker program, run sandboxed as `checker input output expected` (testlib's
    order) in a directory holding those three files: exit 0 accepts, 1 or 2 rejects (wrong answer),
    anything else is the checker's own failure (internal error)."""

    model_config = ConfigDict(frozen=True)
    language: str
    source: str


class AssignmentPublished(Event, RunLimits):
    """Gateway → grader: the assignment's test suite and limits, copied into the grader's schema."""

    type: ClassVar[str] = "assignment.published"
    assignment_id: UUID
    course_id: UUID
    title: str
    tests: tuple[TestCaseSpec, ...]
    checker: CheckerSpec | None = None
    # Each change of the tests, checker or limits is a new version, published again whole; a copy
    # keeps the highest version it has received (one sent before it may arrive after it).
    suite_version: int = Field(default=1, ge=1)


class _ToGrade(Event):
    """A student's submission, as the grader takes it."""

    submission_id: UUID
    assignment_id: UUID
    course_id: UUID
    student_id: UUID
    language: str
    source: str


class SubmissionCreated(_ToGrade):
    type: ClassVar[str] = "submission.created"
    created_at: datetime
    suite_version: int = Field(default=1, ge=1)  # current when submitted: graded by it or a later one


class SubmissionRegradeRequested(_ToGrade):
    """Grade a submission again, against its assignment's suite of `suite_version` (or a later
    one); graded once per version however often it is asked. Its own queue, taken by the grader
    only when a slot is free of live work."""

    type: ClassVar[str] = "submission.regrade_requested"
    suite_version: int = Field(ge=1)
    regrade_id: UUID
    # False when nothing the student sees can move (a teacher's override holds the grade).
    notify: bool = True


class GradingStarted(Event):
    """Grader → gateway: the submission has been grading for a while (the grader's
    `STARTED_AFTER_SECONDS`, 0.5 s by default); one graded sooner goes from queued to graded
    without it."""

    type: ClassVar[str] = "grading.started"
    submission_id: UUID
    started_at: datetime


class TestOutcome(_OfATest):
    verdict: Verdict
    weight: int
    hidden: bool
    time_ms: float  # CPU time
    wall_ms: float = 0.0
    memory_kb: int = 0  # peak resident memory
    exit_code: int | None = None
    signal: int | None = None  # the signal that ended the program (Runtime Error), if any
    stdout: str = ""
    stderr: str = ""
    message: str = ""  # a checker's comment on the answer


class SubmissionGraded(Event):
    type: ClassVar[str] = "submission.graded"
    submission_id: UUID
    assignment_id: UUID
    course_id: UUID
    student_id: UUID
    verdict: Verdict
    score: int
    max_score: int
    tests: tuple[TestOutcome, ...]
    compile_output: str = ""
    graded_at: datetime
    suite_version: int = Field(default=1, ge=1)  # the suite that graded it
    regrade_id: UUID | None = None  # graded again, at a teacher's request
    # Whether the student (and their parents) are told: always for a first grade; for a regrade,
    # only when the score or verdict moved and no override holds the grade.
    notify: bool = True


class GradeOverridden(Event):
    """Gateway → gateway (its LMS pass-back): a teacher's grade put in place of a submission's
    graded one, or taken back (`score` null: the graded score counts again)."""

    type: ClassVar[str] = "grade.overridden"
    submission_id: UUID
    assignment_id: UUID
    course_id: UUID
    student_id: UUID
    score: int | None  # the teacher's; null: taken back
    graded_score: int | None  # what the grading gave (the grade again once the override is gone)
    max_score: int
    reason: str | None = None
    at: datetime


# A plain file name: letters, digits, '-', '_' and '.', not starting with '.' (no path, no
# hidden file, nothing a shell or the sandbox could read as more than a name).
RUN_FILE_NAME = r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$"
Dialect = Literal["gradeflow", "jobe"]


class RunFile(BaseModel):
    """A file written beside a run's program before it compiles and runs (Jobe's file_list)."""

    model_config = ConfigDict(frozen=True)
    name: str = Field(pattern=RUN_FILE_NAME, max_length=100)
    # Checked as base64 where a file is taken in (the gateway); said so in the schema.
    content_b64: str = Field(
        json_schema_extra={"pattern": r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"}
    )


class RunRequested(Event, RunLimits):
    """Gateway → grader: run a program once on one input, outside any assignment (a "run" button,
    the Judge0-compatible API). With `expected_stdout` the run is judged, as one test."""

    type: ClassVar[str] = "run.requested"
    run_id: UUID
    user_id: UUID
    language: str
    source: str
    stdin: str = ""
    expected_stdout: str | None = None
    files: tuple[RunFile, ...] = ()  # added in v1, defaulted: older requests carry none
    args: tuple[str, ...] = ()  # the program's command-line arguments (program_args.py)
    compile_options: tuple[str, ...] = ()  # added to the compile (C and C++; an allow-list)
    # How the program is built and run: this system's way, or Jobe's ("jobe": the commands and
    # default flags of Jobe's task classes, which `compile_args` and `interpreter_args` replace
    # when given; `link_options` after the source; the program named `source_name`, started in a
    # writable copy of its directory; output past the limit cut off, the run going on).
    dialect: Dialect = "gradeflow"
    # Judge0's: stderr written into stdout as it comes; the program run `runs` times (the time and
    # memory reported their average); killed `cpu_extra_ms` past its CPU limit (a Time Limit
    # Exceeded still, if it went past the limit).
    merge_stderr: bool = False
    runs: int = Field(default=1, ge=1, le=20)
    cpu_extra_ms: int = Field(default=0, ge=0, le=5000)
    source_name: str | None = Field(default=None, pattern=RUN_FILE_NAME, max_length=100)
    compile_args: tuple[str, ...] | None = None
    link_options: tuple[str, ...] = ()
    interpreter_args: tuple[str, ...] | None = None
    requested_at: datetime


class RunCompleted(Event):
    """Grader → gateway: what the run did."""

    type: ClassVar[str] = "run.completed"
    run_id: UUID
    user_id: UUID
    verdict: Verdict
    stdout: str = ""
    stderr: str = ""
    # The bytes as written (base64) when they are not text as `stdout` / `stderr` hold it (not
    # UTF-8, or NUL): those two then have U+FFFD in their place.
    stdout_bytes_b64: str | None = None
    stderr_bytes_b64: str | None = None
    compile_output: str = ""
    time_ms: float = 0.0  # CPU time
    wall_ms: float = 0.0
    memory_kb: int = 0
    exit_code: int | None = None
    signal: int | None = None
    completed_at: datetime


class EnrollmentChanged(Event):
    """Gateway → notifier: who belongs to a course, so the notifier keeps its own recipients."""

    type: ClassVar[str] = "enrollment.changed"
    course_id: UUID
    user_id: UUID
    email: str
    name: str
    role: Role
    active: bool
    follows: UUID | None = None  # a parent's child in the course


class Member(BaseModel):
    model_config = ConfigDict(frozen=True)
    user_id: UUID
    email: str
    name: str
    role: Role
    follows: UUID | None = None


class EnrollmentsChanged(Event):
    """Gateway → notifier: many enrollments at once (a roster import), up to a thousand members a
    message, so a course of 100,000 is a hundred messages and a hundred bulk writes."""

    type: ClassVar[str] = "enrollments.changed"
    course_id: UUID
    members: tuple[Member, ...] = Field(min_length=1)


class CourseChanged(Event):
    """Gateway → notifier: a course's settings, when it is created and whenever they change (the
    notifier keeps its own copy: whether grades reach the parents too)."""

    type: ClassVar[str] = "course.changed"
    course_id: UUID
    title: str
    grades_to_parents: bool


class CourseEventPublished(Event):
    """Gateway → notifier: a teacher's event for a course's audience, whatever its size (the
    notifier fans it out: NotificationChunk)."""

    type: ClassVar[str] = "course_event.published"
    event_id: UUID
    course_id: UUID
    author_id: UUID
    title: str
    body: str
    category: Category
    priority: Priority
    audience: Audience
    published_at: datetime


class NotificationChunk(Event):
    """Notifier → notifier: one slice of an event's recipients, a message of its own so that
    several replicas share a big audience. Its recipients are fixed when it is staged: a
    redelivered chunk names the same people, and each is notified once (ids derived from
    `event_id` and the recipient)."""

    type: ClassVar[str] = "notification.chunk"
    event_id: UUID
    course_id: UUID
    position: int
    kind: str
    title: str
    body: str
    category: Category
    priority: Priority
    data: dict[str, str] = Field(default_factory=dict)
    recipients: tuple[UUID, ...] = Field(min_length=1)


class JobObserved(Event):
    """One message's life on one queue (job-lifecycle telemetry): an item of `JobsObserved`."""

    type: ClassVar[str] = "telemetry.job"
    queue: str
    message_id: str
    message_type: str
    published_at: datetime | None
    started_at: datetime
    finished_at: datetime
    outcome: Outcome
    attempt: int
    error: str | None = None


class JobsObserved(Event):
    """Every consumer → metrics: the jobs it settled in the last moment, many per message (one
    message per job doubled what a job cost the broker; gradeflow_shared/telemetry.py)."""

    type: ClassVar[str] = "telemetry.jobs"
    jobs: tuple[JobObserved, ...] = Field(min_length=1)


AlertRule = Literal["wait", "processing", "failure_rate", "backlog", "stalled"]


class AlertChanged(Event):
    """Metrics → notifier (operators): a queue's alert raised or resolved. Both types share one
    body, so the notifier reads them off one queue in the order they happened."""

    type: ClassVar[str] = "alert.changed"
    alert_id: UUID
    queue: str
    rule: AlertRule
    state: Literal["raised", "resolved"]
    severity: Literal["warning", "critical"]
    value: float
    threshold: float
    message: str
    raised_at: datetime
    resolved_at: datetime | None = None


class AlertRaised(AlertChanged):
    """Metrics → notifier: a queue's rule breached for its hold time; operators are told."""

    type: ClassVar[str] = "alert.raised"


class AlertResolved(AlertChanged):
    """Metrics → notifier: the queue's reading back under the rule's band for its hold time."""

    type: ClassVar[str] = "alert.resolved"


CATALOGUE: tuple[type[Event], ...] = (
    AssignmentPublished,
    SubmissionCreated,
    SubmissionRegradeRequested,
    GradingStarted,
    SubmissionGraded,
    GradeOverridden,
    RunRequested,
    RunCompleted,
    EnrollmentChanged,
    EnrollmentsChanged,
    CourseChanged,
    CourseEventPublished,
    NotificationChunk,
    JobObserved,
    JobsObserved,
    AlertRaised,
    AlertResolved,
)

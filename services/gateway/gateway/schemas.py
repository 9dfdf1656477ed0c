"""Request and response bodies of the public API. Validation errors name the field at fault."""

import base64
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    JsonValue,
    StrictBool,
    ValidationInfo,
    field_validator,
)
from pydantic.config import JsonDict

from gateway.domain import deadlines
from gateway.domain.deadlines import LatePolicy
from gradeflow_shared import program_args
from gradeflow_shared.events import RUN_FILE_NAME, RunFile
from gradeflow_shared.languages import GRADED, LANGUAGES, MULTI
from gradeflow_shared.limits import SPECS, RunLimits

MAX_SOURCE_BYTES = 64 * 1024
MAX_RUN_FILES = 20
MAX_RUN_FILES_BYTES = 8 * 1024 * 1024  # all of a run's files together (they travel in its event)
MAX_SUITE_BYTES = 8 * 1024 * 1024  # all of an assignment's tests' text (they travel in its event)
T = TypeVar("T")


def _no_nul(value: str) -> str:
    if "\x00" in value:  # PostgreSQL's text cannot hold it: refused here, named
        raise ValueError("contains a NUL character")
    return value


# The schema says it too (a pattern), so a client — or a schema-driven fuzzer — knows beforehand.
NO_NUL: JsonDict = {"pattern": "^[^\\u0000]*$"}


def one_of(values: Iterable[JsonValue]) -> JsonDict:
    """A closed set of values, as the schema's `enum`."""
    return {"enum": sorted(values)}  # type: ignore[type-var]


Text = Annotated[str, AfterValidator(_no_nul), Field(json_schema_extra=NO_NUL)]


def _in_range(moment: datetime | None) -> datetime | None:
    fault = deadlines.out_of_range(moment)
    if fault:
        raise ValueError(fault)
    return moment


# A deadline: with a time zone, within the years a course lives in (the schema says so too).
Deadline = Annotated[
    AwareDatetime,
    AfterValidator(_in_range),
    Field(
        json_schema_extra={
            "formatMinimum": "2000-01-01T00:00:00Z",
            "formatExclusiveMaximum": "2200-01-01T00:00:00Z",
        }
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class DevLogin(Strict):
    email: EmailStr
    name: Text = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str
    user_id: UUID


class UserOut(BaseModel):
    id: UUID
    email: str
    name: str
    created_at: datetime


class MemberOut(BaseModel):
    user_id: UUID
    email: str
    name: str
    role: str
    children: list[UUID] = Field(description="For a parent: the students they follow in the course")
    created_at: datetime = Field(description="When they were enrolled")

    @field_validator("children", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return value or []


class CourseIn(Strict):
    title: Text = Field(min_length=1, max_length=200)
    grades_to_parents: StrictBool = Field(
        default=False, description="Whether a student's grades also reach the parents who follow them"
    )


class CourseUpdate(Strict):
    title: Text | None = Field(default=None, min_length=1, max_length=200)
    grades_to_parents: StrictBool | None = None


class CourseOut(BaseModel):
    id: UUID
    title: str
    created_by: UUID
    grades_to_parents: bool


class RosterImported(BaseModel):
    imported: int
    students: int
    teachers: int
    parents: int


class CourseEventIn(Strict):
    title: Text = Field(min_length=1, max_length=300)
    body: Text = Field(min_length=1, max_length=20_000)
    category: Literal["announcement", "deadline", "exam", "grade"]
    priority: Literal["low", "normal", "high"] = "normal"
    audience: Literal["students", "teachers", "parents", "all"] = Field(
        default="all", description="Who in the course is notified"
    )


class CourseEventUpdate(Strict):
    """A correction: the title or the body (or both); told to the event's audience once."""

    title: Text | None = Field(default=None, min_length=1, max_length=300)
    body: Text | None = Field(default=None, min_length=1, max_length=20_000)


class CourseEventOut(BaseModel):
    id: UUID
    course_id: UUID
    author_id: UUID
    title: str
    category: str
    priority: str
    audience: str
    created_at: datetime
    revision: int = Field(default=0, description="0 as first published; each correction or the cancel, +1")
    cancelled_at: datetime | None = None


class EnrollmentIn(Strict):
    # A parent names the student they follow: said in the schema too (OpenAPI 3.1's if/then).
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"role": {"const": "parent"}}, "required": ["role"]},
            "then": {
                "properties": {"student_id": {"type": "string", "format": "uuid"}},
                "required": ["student_id"],
            },
        },
    )
    user_id: UUID
    role: Literal["student", "teacher", "parent"]
    student_id: UUID | None = Field(
        default=None,
        description="For a parent: a student they follow (enrol again with another to follow several)",
    )


class EnrollmentOut(BaseModel):
    course_id: UUID
    user_id: UUID
    role: str
    children: list[UUID] = Field(description="For a parent: every student they follow in the course")


def _json_bytes(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode())


class TestCaseIn(Strict):
    stdin: Text = Field(default="", max_length=1_000_000)
    expected_stdout: Text = Field(max_length=1_000_000)
    weight: int = Field(default=1, ge=0, le=1000)
    hidden: StrictBool = False
    comparison: Literal["exact", "trailing_whitespace", "tokens", "numeric", "checker"] = (
        "trailing_whitespace"
    )
    tolerance: float = Field(default=1e-6, ge=0, le=1)


class ProgramIn(Strict):
    """A program in one of the languages an assignment takes."""

    TAKES: ClassVar[frozenset[str]] = GRADED  # the languages this kind of program may be in
    language: str = Field(json_schema_extra=one_of(GRADED))
    source: str = Field(min_length=1, json_schema_extra=NO_NUL)

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in cls.TAKES:
            raise ValueError(f"unknown language; supported: {', '.join(sorted(cls.TAKES))}")
        return value

    @field_validator("source")
    @classmethod
    def _source_size(cls, value: str) -> str:
        if len(value.encode()) > MAX_SOURCE_BYTES:
            raise ValueError(f"source is over {MAX_SOURCE_BYTES} bytes")
        if "\x00" in value:  # PostgreSQL's text cannot hold it: refused here, named
            raise ValueError("source contains a NUL character")
        return value


class LimitsIn(RunLimits):
    """Limits of every run (shared/limits.py has their defaults and maxima)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _deadlines_in_order(due_at: datetime | None, close_at: datetime | None) -> None:
    fault = deadlines.out_of_order(due_at, close_at)
    if fault:
        raise ValueError(fault)


class AssignmentIn(LimitsIn):
    # A test compared by "checker" needs the assignment's checker: said in the schema too.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "if": {
                "properties": {
                    "tests": {
                        "contains": {
                            "properties": {"comparison": {"const": "checker"}},
                            "required": ["comparison"],
                        }
                    }
                },
                "required": ["tests"],
            },
            "then": {"properties": {"checker": {"type": "object"}}, "required": ["checker"]},
        },
    )

    title: Text = Field(min_length=1, max_length=200)
    languages: list[str] | None = Field(
        default=None,
        min_length=1,
        json_schema_extra={"items": one_of(GRADED), "uniqueItems": True},
        description="The languages it takes (default: every one)",
    )
    due_at: Deadline | None = Field(default=None, description="When it is due (with a time zone)")
    close_at: Deadline | None = Field(
        default=None, description="After it, no submission is taken, late or not"
    )

    @field_validator("close_at")
    @classmethod
    def _close_after_due(cls, close_at: datetime | None, info: ValidationInfo) -> datetime | None:
        _deadlines_in_order(info.data.get("due_at"), close_at)
        return close_at

    late_policy: LatePolicy = Field(
        default="accept",
        description="Work after `due_at`: `accept` it, take a `penalty` off its score, or `refuse` it",
    )
    late_penalty_percent: int = Field(default=10, ge=0, le=100, description="Per day begun, for `penalty`")
    # Decides the tests compared by "checker": run as `checker input output expected` (see
    # docs/grading.md). Declared before `tests`, which are validated against it.
    checker: ProgramIn | None = None
    tests: list[TestCaseIn] = Field(min_length=1, max_length=200)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str] | None) -> list[str] | None:
        unknown = sorted(set(value or ()) - GRADED)
        if unknown:
            raise ValueError(f"unknown languages {unknown}; supported: {', '.join(sorted(GRADED))}")
        if value is not None and len(set(value)) != len(value):
            raise ValueError("a language named twice")
        return value

    @field_validator("tests")
    @classmethod
    def _suite_fits(cls, tests: list[TestCaseIn]) -> list[TestCaseIn]:
        """All the tests' text, as it travels in the assignment's event (JSON: a control character
        takes six bytes), within MAX_SUITE_BYTES."""
        size = sum(_json_bytes(t.stdin) + _json_bytes(t.expected_stdout) for t in tests)
        if size > MAX_SUITE_BYTES:
            raise ValueError(f"the tests take {size} bytes as sent to the grader, over {MAX_SUITE_BYTES}")
        return tests

    @field_validator("tests")
    @classmethod
    def _checker_present(cls, tests: list[TestCaseIn], info: ValidationInfo) -> list[TestCaseIn]:
        if info.data.get("checker") is None:
            for i, test in enumerate(tests):
                if test.comparison == "checker":
                    raise ValueError(f"test {i} is compared by 'checker' but the assignment has no checker")
        return tests


def _null_only_for(schema: dict[str, Any], nullable: frozenset[str]) -> None:
    """The schema of a change: a field may be left out, but only those in `nullable` sent null."""
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf")
        if name in nullable or not options:
            continue
        kept = [o for o in options if o.get("type") != "null"]
        prop.pop("anyOf")
        prop.pop("default", None)
        if len(kept) == 1:
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept


class AssignmentUpdate(Strict):
    """A change to an assignment: only the fields sent change; `null` clears one that may be
    empty (languages, deadlines, checker, wall_limit_ms). A change of the tests, checker or limits
    is a new version of its suite (regrade to apply it to work already graded)."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset(
        {"languages", "due_at", "close_at", "checker", "wall_limit_ms"}
    )
    model_config = ConfigDict(
        extra="forbid", json_schema_extra=lambda schema: _null_only_for(schema, AssignmentUpdate.NULLABLE)
    )
    title: Text | None = Field(default=None, min_length=1, max_length=200)
    languages: list[str] | None = Field(
        default=None, min_length=1, json_schema_extra={"items": one_of(GRADED), "uniqueItems": True}
    )
    due_at: Deadline | None = None
    close_at: Deadline | None = None
    late_policy: LatePolicy | None = None
    late_penalty_percent: int | None = Field(default=None, ge=0, le=100)
    checker: ProgramIn | None = None
    tests: list[TestCaseIn] | None = Field(default=None, min_length=1, max_length=200)
    time_limit_ms: int | None = SPECS["time_limit_ms"].field(optional=True)
    wall_limit_ms: int | None = SPECS["wall_limit_ms"].field(optional=True)
    memory_limit_mb: int | None = SPECS["memory_limit_mb"].field(optional=True)
    max_processes: int | None = SPECS["max_processes"].field(optional=True)
    max_file_kb: int | None = SPECS["max_file_kb"].field(optional=True)
    stack_limit_mb: int | None = SPECS["stack_limit_mb"].field(optional=True)
    max_output_kb: int | None = SPECS["max_output_kb"].field(optional=True)
    disk_limit_mb: int | None = SPECS["disk_limit_mb"].field(optional=True)

    _known_languages = field_validator("languages")(AssignmentIn._known_languages.__func__)  # type: ignore[attr-defined]

    @field_validator("tests")
    @classmethod
    def _suite_fits(cls, tests: list[TestCaseIn] | None) -> list[TestCaseIn] | None:
        return None if tests is None else AssignmentIn._suite_fits(tests)

    @field_validator(
        "title", "late_policy", "late_penalty_percent", "tests", "time_limit_ms", "memory_limit_mb",
        "max_processes", "max_file_kb", "stack_limit_mb", "max_output_kb", "disk_limit_mb",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        """Called only for a field sent: null is no value for these."""
        if value is None:
            raise ValueError("cannot be null: leave it out to keep it")
        return value

    @field_validator("close_at")
    @classmethod
    def _close_after_due(cls, close_at: datetime | None, info: ValidationInfo) -> datetime | None:
        _deadlines_in_order(info.data.get("due_at"), close_at)
        return close_at

    def changes(self) -> dict[str, Any]:
        """The fields sent, as sent (null included where allowed)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class TestCaseOut(BaseModel):
    id: UUID
    position: int
    weight: int
    hidden: bool
    comparison: str
    stdin: str | None
    expected_stdout: str | None


class AssignmentOut(RunLimits):
    id: UUID
    course_id: UUID
    title: str
    languages: list[str] | None
    due_at: datetime | None
    close_at: datetime | None
    late_policy: str
    late_penalty_percent: int
    checker_language: str | None = None
    suite_version: int = Field(description="Each change of its tests, checker or limits is the next version")
    archived_at: datetime | None = Field(
        description="Archived: hidden from the course's list, closed to new work"
    )
    tests: list[TestCaseOut]


class SubmissionIn(ProgramIn):
    assignment_id: UUID


class SubmissionAccepted(BaseModel):
    id: UUID
    status: str


class SubmissionSummary(BaseModel):
    id: UUID
    assignment_id: UUID
    student_id: UUID
    language: str
    status: str
    verdict: str | None
    score: int | None = Field(description="After a late penalty, if any")
    max_score: int | None
    raw_score: int | None = Field(description="As graded, before a late penalty")
    late_days: int = Field(description="Days begun after the assignment was due (0: on time)")
    penalty_percent: int = Field(description="The share of the score a late submission loses")
    created_at: datetime
    updated_at: datetime


class OverrideOut(BaseModel):
    score: int
    reason: str
    by: UUID
    at: datetime


class SubmissionOut(SubmissionSummary):
    tests: list[dict[str, Any]]
    suite_version: int | None = Field(default=None, description="The suite's version that graded it")
    override: OverrideOut | None = Field(
        default=None, description="A teacher's grade in its place, with why: it wins over any regrade"
    )
    grade: int | None = Field(default=None, description="The grade that counts: the override, else `score`")


class OverrideIn(Strict):
    score: int = Field(ge=0, le=1_000_000, description="At most the submission's `max_score`")
    reason: Text = Field(min_length=1, max_length=500, description="Shown to the student")


RegradeScope = Literal["all", "latest", "best"]


class RegradeIn(Strict):
    scope: RegradeScope = Field(
        default="latest", description="All the submissions, or each student's latest, or best scored"
    )


class RegradeOut(BaseModel):
    id: UUID
    assignment_id: UUID
    submission_id: UUID | None = Field(description="A regrade of one submission: that one")
    scope: str
    suite_version: int = Field(description="The suite's version it grades against")
    total: int = Field(description="Submissions it regrades")
    done: int = Field(description="Of them, graded by this version (or a later one) so far")
    created_at: datetime


class GradebookAssignment(BaseModel):
    id: UUID
    title: str
    due_at: datetime | None


class GradebookCell(BaseModel):
    assignment_id: UUID
    submission_id: UUID
    grade: int = Field(description="The override if any, else the score after any late penalty")
    max_score: int | None
    late_days: int
    overridden: bool


class GradebookRow(BaseModel):
    student_id: UUID
    name: str
    email: str
    grades: list[GradebookCell] = Field(description="One per assignment graded; none: not submitted")


class Gradebook(BaseModel):
    rule: Literal["latest", "best"] = Field(
        description="Which submission counts: each student's latest graded, or best (overrides count)"
    )
    assignments: list[GradebookAssignment]
    items: list[GradebookRow]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: the last")


class RunIn(ProgramIn, LimitsIn):
    """An ad-hoc run: the program, its input, and optionally the output it should print."""

    # Compiler options for the compiled languages only: said in the schema too (if/else).
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"language": one_of(program_args.COMPILED_WITH_OPTIONS)}},
                    "else": {"properties": {"compile_options": {"maxItems": 0}}},
                },
                {  # a multi-file program is its files (a `run` among them); any other, its source
                    "if": {"properties": {"language": {"const": MULTI}}, "required": ["language"]},
                    "then": {
                        "required": ["files"],
                        "properties": {"files": {"contains": {"properties": {"name": {"const": "run"}}}}},
                    },
                    "else": {"required": ["source"], "properties": {"source": {"minLength": 1}}},
                },
            ]
        },
    )

    # Any language, "multi" too (a program that is its files: `run`, and `compile` if any); its
    # source then unused and possibly empty.
    TAKES: ClassVar[frozenset[str]] = LANGUAGES
    language: str = Field(json_schema_extra=one_of(LANGUAGES))
    source: str = Field(default="", json_schema_extra=NO_NUL)
    stdin: Text = Field(default="", max_length=1_000_000)
    expected_stdout: Text | None = Field(default=None, max_length=1_000_000)
    files: list[RunFile] = Field(
        default_factory=list,
        max_length=MAX_RUN_FILES,
        description="Written beside the program before it runs",
    )
    args: list[str] = Field(
        default_factory=list,
        max_length=program_args.MAX_ARGS,
        json_schema_extra={"items": {"maxLength": program_args.MAX_ARG_CHARS, **NO_NUL}},
        description="The program's command-line arguments",
    )
    compile_options: list[str] = Field(
        default_factory=list,
        max_length=program_args.MAX_ARGS,
        json_schema_extra={"items": {"pattern": program_args.OPTION_PATTERN}},
        description="Added to the compile, C and C++ only, from an allow-list (-O2, -std=c11, -Wall, -lm …)",
    )

    @field_validator("source")
    @classmethod
    def _source_given(cls, value: str, info: ValidationInfo) -> str:
        if not value and info.data.get("language") != MULTI:
            raise ValueError("source is empty")
        return value

    @field_validator("args")
    @classmethod
    def _args_allowed(cls, args: list[str]) -> list[str]:
        return list(program_args.arguments(args))

    @field_validator("compile_options")
    @classmethod
    def _options_allowed(cls, options: list[str], info: ValidationInfo) -> list[str]:
        return list(program_args.compiler_options(info.data.get("language", ""), options))

    @field_validator("files")
    @classmethod
    def _files_fit(cls, files: list[RunFile], info: ValidationInfo) -> list[RunFile]:
        if info.data.get("language") == MULTI and "run" not in {f.name for f in files}:
            raise ValueError("a multi-file program needs a file named run (its run script)")
        total = 0
        for f in files:
            try:
                total += len(base64.b64decode(f.content_b64, validate=True))
            except ValueError:
                raise ValueError(f"{f.name}: content_b64 is not base64") from None
        if total > MAX_RUN_FILES_BYTES:
            raise ValueError(f"the files take {total} bytes, over {MAX_RUN_FILES_BYTES}")
        if len({f.name for f in files}) != len(files):
            raise ValueError("a file name given twice")
        return files


class JobeRunIn(RunIn):
    """A run through the Jobe API, built and run as Jobe does (events.RunRequested's `dialect`):
    its file name and Jobe's argument lists, each replacing Jobe's default for the language when
    given. Not a route's body: the Jobe API's run_spec, parsed (domain/jobe.py)."""

    dialect: Literal["jobe"] = "jobe"
    source_name: str | None = Field(default=None, pattern=RUN_FILE_NAME, max_length=100)
    compile_args: list[str] | None = None
    link_options: list[str] = Field(default_factory=list)
    interpreter_args: list[str] | None = None

    @field_validator("compile_args", "link_options")
    @classmethod
    def _compiler_words(cls, words: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if words is None:
            return None
        return list(program_args.compiler_words(info.data.get("language", ""), words))

    @field_validator("interpreter_args")
    @classmethod
    def _interpreter_args(cls, args: list[str] | None) -> list[str] | None:
        return None if args is None else list(program_args.arguments(args))

    @field_validator("source")
    @classmethod
    def _source_given(cls, value: str, info: ValidationInfo) -> str:
        return value  # Jobe runs an empty program (its interpreter's arguments may be the program)


class Judge0RunIn(RunIn):
    """A run through the Judge0 API, with Judge0's options (events.RunRequested). Not a route's
    body: Judge0's submission, translated (handlers/http/judge0.py)."""

    merge_stderr: bool = False
    runs: int = Field(default=1, ge=1, le=20)
    cpu_extra_ms: int = Field(default=0, ge=0, le=5000)


class RunAccepted(BaseModel):
    id: UUID
    status: str


class RunOut(BaseModel):
    id: UUID
    language: str
    status: str  # queued, done
    verdict: str | None
    stdout: str | None = None
    stderr: str | None = None
    stdout_bytes_b64: str | None = Field(
        default=None,
        description="The output's bytes (base64), when `stdout` cannot hold them as written (not UTF-8, NUL)",
    )
    stderr_bytes_b64: str | None = Field(default=None, description="The same for `stderr`")
    compile_output: str | None = None
    time_ms: float | None = None
    wall_ms: float | None = None
    memory_kb: int | None = None
    exit_code: int | None = None
    signal: int | None = None
    created_at: datetime
    updated_at: datetime


class CourseSummary(BaseModel):
    id: UUID
    title: str
    role: str = Field(description="The caller's role in the course")
    grades_to_parents: bool
    created_at: datetime


class AssignmentSummary(BaseModel):
    id: UUID
    course_id: UUID
    title: str
    due_at: datetime | None
    created_at: datetime
    suite_version: int
    archived_at: datetime | None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null: the last")


class KeyRate(Strict):
    """A key's own limit on code runs, in place of the deployment's per-user one (RATE_LIMITS)."""

    runs: int = Field(ge=0, le=10_000_000, description="Runs per period; 0: no limit (an admin's to give)")
    per: Literal["minute", "hour"]

    @field_validator("runs", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: object) -> object:
        if isinstance(value, bool):  # JSON's false is no number of runs
            raise ValueError("runs must be an integer")
        return value


class ApiKeyIn(Strict):
    name: Text = Field(min_length=1, max_length=100)
    scopes: list[Literal["runs", "submissions", "read", "write"]] = Field(min_length=1, max_length=4)
    runs_rate: KeyRate | None = Field(
        default=None,
        description="The key's own limit on runs: its owner may set one no more generous than the "
        "deployment's default; an admin any, or none (PUT /v1/api-keys/{key_id}/runs-rate)",
    )


class ApiKeyOut(BaseModel):
    id: UUID
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart")
    scopes: list[str]
    runs_rate: KeyRate | None = Field(description="Its own limit on runs; null: the deployment's, per user")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown once, kept only as a digest")


LtiUrl = Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=2000)]
LtiId = Annotated[str, AfterValidator(_no_nul), Field(min_length=1, max_length=500)]


class LtiPlatformIn(Strict):
    """An LMS as an LTI 1.3 platform, with what its registration of Gradeflow gave (docs/lti.md)."""

    name: Text = Field(min_length=1, max_length=200)
    issuer: LtiId = Field(description="The platform's issuer (`iss` of its launches)")
    client_id: LtiId = Field(description="The client id the platform gave Gradeflow")
    deployment_ids: list[LtiId] = Field(
        min_length=1, max_length=100, description="The deployments whose launches count"
    )
    auth_login_url: LtiUrl = Field(description="The platform's OIDC authorization endpoint")
    auth_token_url: LtiUrl = Field(description="The platform's OAuth 2 token endpoint (its services)")
    key_set_url: LtiUrl = Field(description="The platform's public keys (JWKS)")


class LtiPlatformOut(BaseModel):
    id: UUID
    name: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    created_at: datetime


class LtiToolOut(BaseModel):
    """What a platform's administrator enters to register Gradeflow."""

    login_url: str = Field(description="OIDC login initiation URL (GET or POST)")
    launch_url: str = Field(description="Redirect (launch) URL, also the target link URI")
    key_set_url: str = Field(description="The tool's public keys (JWKS, RS256)")


class LtiKeyOut(BaseModel):
    kid: str = Field(description="The tool key that signs from now on")


class LtiRosterSynced(BaseModel):
    members: int = Field(description="Active instructors and learners the LMS listed")
    students: int
    teachers: int
    skipped: int = Field(
        description="Inactive, or in a role a roster does not give (mentors: at their launch)"
    )

"""Request and response bodies of the public API. Validation errors name the field at fault."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator

from gradeflow_shared.languages import LANGUAGES

MAX_SOURCE_BYTES = 64 * 1024


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class DevLogin(Strict):
    email: EmailStr
    name: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str
    user_id: UUID


class UserOut(BaseModel):
    id: UUID
    email: str
    name: str


class CourseIn(Strict):
    title: str = Field(min_length=1, max_length=200)


class CourseOut(BaseModel):
    id: UUID
    title: str
    created_by: UUID


class EnrollmentIn(Strict):
    user_id: UUID
    role: Literal["student", "teacher", "parent"]
    student_id: UUID | None = Field(default=None, description="For a parent: the student followed")


class EnrollmentOut(BaseModel):
    course_id: UUID
    user_id: UUID
    role: str
    student_id: UUID | None


class TestCaseIn(Strict):
    stdin: str = Field(default="", max_length=1_000_000)
    expected_stdout: str = Field(max_length=1_000_000)
    weight: int = Field(default=1, ge=0, le=1000)
    hidden: bool = False
    comparison: Literal["exact", "trailing_whitespace", "tokens", "numeric", "checker"] = (
        "trailing_whitespace"
    )
    tolerance: float = Field(default=1e-6, ge=0, le=1)


class ProgramIn(Strict):
    """A program in one of the supported languages."""

    language: str
    source: str = Field(min_length=1)

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"unknown language; supported: {', '.join(sorted(LANGUAGES))}")
        return value

    @field_validator("source")
    @classmethod
    def _source_size(cls, value: str) -> str:
        if len(value.encode()) > MAX_SOURCE_BYTES:
            raise ValueError(f"source is over {MAX_SOURCE_BYTES} bytes")
        return value


class LimitsIn(Strict):
    """Limits of every run, with defaults and maxima after Judge0's (docs/grading.md): CPU time,
    wall time (default twice the CPU time plus 1 s), memory, processes and threads, file size, stack."""

    time_limit_ms: int = Field(default=2000, ge=100, le=15_000)
    wall_limit_ms: int | None = Field(default=None, ge=100, le=30_000)
    memory_limit_mb: int = Field(default=256, ge=16, le=1024)
    max_processes: int = Field(default=16, ge=1, le=64)
    max_file_kb: int = Field(default=1024, ge=1, le=4096)
    stack_limit_mb: int = Field(default=64, ge=1, le=128)


LIMIT_FIELDS = set(LimitsIn.model_fields)


class AssignmentIn(LimitsIn):
    title: str = Field(min_length=1, max_length=200)
    max_output_kb: int = Field(default=64, ge=1, le=4096)
    # Decides the tests compared by "checker": run as `checker input output expected` (see
    # docs/grading.md). Declared before `tests`, which are validated against it.
    checker: ProgramIn | None = None
    tests: list[TestCaseIn] = Field(min_length=1, max_length=200)

    @field_validator("tests")
    @classmethod
    def _checker_present(cls, tests: list[TestCaseIn], info: ValidationInfo) -> list[TestCaseIn]:
        if info.data.get("checker") is None:
            for i, test in enumerate(tests):
                if test.comparison == "checker":
                    raise ValueError(f"test {i} is compared by 'checker' but the assignment has no checker")
        return tests


class TestCaseOut(BaseModel):
    id: UUID
    position: int
    weight: int
    hidden: bool
    comparison: str
    stdin: str | None
    expected_stdout: str | None


class AssignmentOut(BaseModel):
    id: UUID
    course_id: UUID
    title: str
    time_limit_ms: int
    wall_limit_ms: int | None
    memory_limit_mb: int
    max_processes: int
    max_output_kb: int
    max_file_kb: int
    stack_limit_mb: int
    checker_language: str | None = None
    tests: list[TestCaseOut]


class SubmissionIn(ProgramIn):
    assignment_id: UUID


class SubmissionAccepted(BaseModel):
    id: UUID
    status: str


class SubmissionOut(BaseModel):
    id: UUID
    assignment_id: UUID
    student_id: UUID
    language: str
    status: str
    verdict: str | None
    score: int | None
    max_score: int | None
    tests: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class RunIn(ProgramIn, LimitsIn):
    """An ad-hoc run: the program, its input, and optionally the output it should print."""

    stdin: str = Field(default="", max_length=1_000_000)
    expected_stdout: str | None = Field(default=None, max_length=1_000_000)


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
    compile_output: str | None = None
    time_ms: float | None = None
    wall_ms: float | None = None
    memory_kb: int | None = None
    exit_code: int | None = None
    signal: int | None = None
    created_at: datetime
    updated_at: datetime

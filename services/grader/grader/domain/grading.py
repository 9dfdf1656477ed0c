"""Grading rules, pure: how an execution becomes a verdict, and tests become a score."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol
from uuid import UUID

from gradeflow_shared.events import SubmissionCreated, SubmissionRegradeRequested, Verdict
from gradeflow_shared.limits import RunLimits
from grader.domain.languages import JobeWay

DISK_BYTES = 20 * 1024 * 1024  # what a run, or a compile, may write by default


@dataclass(frozen=True)
class Limits:
    """Per-run limits. Defaults and maxima follow Judge0's (see docs/sandbox.md)."""

    time_ms: int
    memory_mb: int
    output_bytes: int
    processes: int = 16
    file_bytes: int = 1024 * 1024
    stack_bytes: int = 64 * 1024 * 1024
    wall_ms: int | None = None  # None: twice the CPU time plus 1 s
    disk_bytes: int = DISK_BYTES  # each tmpfs a run writes in (/tmp, /dev/shm, /work)
    # CPU time past the limit before the run is killed (Judge0's cpu_extra_time): a run that used
    # more than `time_ms` is over its limit all the same.
    extra_ms: int = 0

    @property
    def wall_clock_ms(self) -> int:
        return self.wall_ms or (self.time_ms + self.extra_ms) * 2 + 1000


@dataclass(frozen=True)
class Build:
    """A submission prepared once (written, compiled) and run against every test."""

    language_id: str
    path: str
    uid: int
    compile_error: str | None = None
    owns_slot: bool = True  # False for a checker, which runs in its submission's slot
    # Files beside the program (Jobe's file_list): it runs in their directory, to open them by name.
    with_files: bool = False
    main: str | None = None  # a Java program's public class, when not Main
    args: tuple[str, ...] = ()  # the program's command-line arguments (a run's, Judge0's and Jobe's)
    jobe: JobeWay | None = None  # built and run as Jobe does (languages.jobe_language)
    merge_stderr: bool = False  # stderr written into stdout (Judge0's redirect_stderr_to_stdout)


@dataclass(frozen=True)
class TestCase:
    __test__ = False  # a domain type, not a pytest class

    test_id: UUID
    position: int
    stdin: str
    expected_stdout: str
    weight: int
    hidden: bool
    comparison: str = "trailing_whitespace"
    tolerance: float = 1e-6


@dataclass(frozen=True)
class Execution:
    """What the sandbox observed of one run."""

    exit_code: int | None
    signal: int | None
    time_ms: float  # CPU time
    stdout: str
    stderr: str
    wall_ms: float = 0.0
    memory_kb: int = 0  # peak resident memory
    timed_out: bool = False
    output_exceeded: bool = False
    memory_exceeded: bool = False
    parse_failed: bool = False  # the source did not parse: the run never started
    # The bytes as written, when `stdout` / `stderr` (text, storable) could not hold them as they
    # are (not UTF-8, or NUL): None otherwise.
    stdout_bytes: bytes | None = None
    stderr_bytes: bytes | None = None


@dataclass(frozen=True)
class Checker:
    """The teacher's program that decides the tests compared by "checker"."""

    language: str
    source: str


@dataclass(frozen=True)
class Suite:
    """An assignment as the grader keeps it: its limits, its checker and its tests in order, as of
    one version of its suite."""

    limits: RunLimits
    checker: Checker | None
    cases: list[TestCase]
    version: int = 1


def limits_of(spec: RunLimits, max_output_bytes: int) -> Limits:
    """The sandbox's limits for an assignment's or a run's, the output capped by the grader's own."""
    return Limits(
        time_ms=spec.time_limit_ms,
        memory_mb=spec.memory_limit_mb,
        output_bytes=min(spec.max_output_kb * 1024, max_output_bytes),
        processes=spec.max_processes,
        file_bytes=spec.max_file_kb * 1024,
        stack_bytes=spec.stack_limit_mb * 1024 * 1024,
        wall_ms=spec.wall_limit_ms,
        disk_bytes=spec.disk_limit_mb * 1024 * 1024,
    )


# A checker's own limits: the teacher's program, not the student's, so they are generous and fixed.
CHECKER_LIMITS = Limits(time_ms=5000, memory_mb=512, output_bytes=64 * 1024, processes=16)

# Stands in for the execution of every test of a submission that did not compile (or whose sandbox
# failed for good).
COMPILE_FAILED = Execution(exit_code=None, signal=None, time_ms=0.0, stdout="", stderr="")


@dataclass(frozen=True)
class TestResult:
    __test__ = False

    case: TestCase
    verdict: Verdict
    execution: Execution
    message: str = ""  # a checker's comment on this test, for whoever may see the test's data


class CheckInput(NamedTuple):
    """What a checker is given for one test: the test's input, the program's output, the expected."""

    input: str
    output: str
    expected: str


@dataclass(frozen=True)
class BuildOptions:
    """How a program is built beyond its language and source.

    `disk_bytes`: what the compile may write (as a run's limit); `files`: (name, content) written
    beside the source before it compiles; `args`: the program's arguments at each run;
    `compile_options`: added to the compile (checked); `jobe`: built and run as Jobe does instead
    (domain.languages.jobe_language); `merge_stderr`: the error stream into the output, as Jobe
    answers."""

    disk_bytes: int = DISK_BYTES
    files: Sequence[tuple[str, bytes]] = ()
    args: Sequence[str] = ()
    compile_options: Sequence[str] = ()
    jobe: JobeWay | None = None
    merge_stderr: bool = False


PLAIN = BuildOptions()  # a submission's build: its source alone


class Sandbox(Protocol):
    async def prepare(
        self, language_id: str, source: str, within: Build | None = None, how: BuildOptions = PLAIN
    ) -> Build: ...

    async def run(self, build: Build, stdin: str, limits: Limits) -> Execution: ...

    async def run_all(self, build: Build, stdins: list[str], limits: Limits) -> list[Execution]: ...

    async def check_all(self, checker: Build, cases: list[CheckInput], limits: Limits) -> list[Execution]: ...

    async def discard(self, build: Build) -> None: ...


def outputs_match(
    actual: str, expected: str, comparison: str = "trailing_whitespace", tolerance: float = 1e-6
) -> bool:
    """Compare program output with the expected output in the test's mode:
    exact (byte for byte), trailing_whitespace (Judge0's default: trailing whitespace on each line
    and trailing blank lines ignored), tokens (any whitespace separates), numeric (tokens, numbers
    equal within an absolute or relative tolerance)."""
    if comparison == "exact":
        return actual == expected
    if comparison == "tokens":
        return actual.split() == expected.split()
    if comparison == "numeric":
        got, want = actual.split(), expected.split()
        return len(got) == len(want) and all(
            _same_token(g, w, tolerance) for g, w in zip(got, want, strict=True)
        )

    def norm(text: str) -> list[str]:
        return [line.rstrip() for line in text.rstrip().splitlines()]

    return norm(actual) == norm(expected)


def _same_token(got: str, want: str, tolerance: float) -> bool:
    try:
        g, w = float(got), float(want)
    except ValueError:
        return got == want
    if math.isnan(g) or math.isnan(w):
        return math.isnan(g) and math.isnan(w)
    return abs(g - w) <= tolerance or abs(g - w) <= tolerance * abs(w)


def verdict_of(
    execution: Execution,
    expected_stdout: str,
    comparison: str = "trailing_whitespace",
    tolerance: float = 1e-6,
) -> Verdict:
    return failure_of(execution) or (
        "accepted"
        if outputs_match(execution.stdout, expected_stdout, comparison, tolerance)
        else "wrong_answer"
    )


def failure_of(execution: Execution) -> Verdict | None:
    """The verdict of a run that did not end cleanly, whatever its output; None if it did.
    Too much output is a fact however the run ended: a runtime that ignores the file-size signal
    (the JVM) or swallows the write error (Java's PrintStream) then spins until its time is up."""
    if execution.parse_failed:
        return "compilation_error"
    if execution.output_exceeded:
        return "output_limit_exceeded"
    if execution.timed_out:
        return "time_limit_exceeded"
    if execution.memory_exceeded:
        return "memory_limit_exceeded"
    if execution.signal is not None or execution.exit_code != 0:
        return "runtime_error"
    return None


def checker_verdict(check: Execution, crash_markers: Sequence[str] = ()) -> Verdict:
    """A checker's say on a cleanly-ended run: exit 0 accepts, 1 or 2 (testlib's wrong answer and
    presentation error) reject; a checker that fails otherwise — killed, over its limits, another
    exit code, or an uncaught exception (which exits 1 too) — is an internal error, never the
    student's fault."""
    if check.signal is not None or check.timed_out or check.memory_exceeded or check.parse_failed:
        return "internal_error"
    if check.exit_code == 0:
        return "accepted"
    if check.exit_code in (1, 2) and not any(m in check.stderr for m in crash_markers):
        return "wrong_answer"
    return "internal_error"


MESSAGE_BYTES = 1024


def checker_message(check: Execution, verdict: Verdict) -> str:
    """What the checker said of the answer (its stdout, as testlib's checkers print it), or, when
    the checker itself failed, how: for the teacher, and never a reason to fail the student."""
    if verdict == "internal_error":
        how = f"signal {check.signal}" if check.signal is not None else f"exit code {check.exit_code}"
        return f"the checker failed ({'over its limits' if check.timed_out else how})"
    return check.stdout.strip()[:MESSAGE_BYTES]


def overall_verdict(results: Sequence[TestResult]) -> Verdict:
    """Accepted when every test is; otherwise the verdict of the first failing test."""
    for result in sorted(results, key=lambda r: r.case.position):
        if result.verdict != "accepted":
            return result.verdict
    return "accepted"


def score(results: Sequence[TestResult]) -> tuple[int, int]:
    """(points earned, points possible): partial credit is the sum of passed tests' weights."""
    earned = sum(r.case.weight for r in results if r.verdict == "accepted")
    return earned, sum(r.case.weight for r in results)


@dataclass(frozen=True)
class RunStart:
    """What recording a submission's run found."""

    fresh: bool  # recorded now; False: a redelivery, the run recorded before (a crash mid-grade)
    finished: bool  # graded already: nothing to do


@dataclass(frozen=True)
class Grade:
    """A run's outcome as the student sees it move."""

    score: int
    verdict: str


@dataclass(frozen=True)
class Outcome:
    """A run's outcome as stored: the grade, the points possible, each test's result."""

    grade: Grade
    possible: int
    results: Sequence[TestResult]


@dataclass(frozen=True)
class Finished:
    """What storing a run's outcome found: whether it stored it (False: another worker finished
    this run first), and the grade of the submission's newest earlier version, if any."""

    stored: bool
    before: Grade | None


Job = SubmissionCreated | SubmissionRegradeRequested
"""A submission to grade: live (`submission.created`), or again at a teacher's request (a
regrade). A live one is graded once, whatever the version; a regrade once per version — each
against its `suite_version` or a later one."""


def regrade_of(job: Job) -> UUID | None:
    """The regrade a job is, None for a live submission."""
    return job.regrade_id if isinstance(job, SubmissionRegradeRequested) else None


def worth_telling(job: Job, before: Grade | None, now: Grade) -> bool:
    """A first grade is always told; a regrade only when what the student sees moved, and no
    teacher's override holds it (the regrade's `notify`)."""
    if not isinstance(job, SubmissionRegradeRequested):
        return True
    return job.notify and (before is None or before != now)

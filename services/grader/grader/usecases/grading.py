"""Grading a submission: record the run, run every test in the sandbox, store and announce the
outcome — idempotent by submission id, so a redelivered submission is not graded twice."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gradeflow_shared.consumer import claim
from gradeflow_shared.db import SessionFactory
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.errors import TransientError
from gradeflow_shared.events import (
    AssignmentPublished,
    GradingStarted,
    SubmissionCreated,
    SubmissionGraded,
    TestOutcome,
)
from gradeflow_shared.outbox import add_event
from gradeflow_shared.topology import GRADER_ASSIGNMENTS
from grader.adapters.db import repositories as repo
from grader.adapters.db.tables import inbox, outbox
from grader.domain.grading import (
    COMPILE_FAILED,
    Build,
    Limits,
    Sandbox,
    SandboxError,
    TestResult,
    overall_verdict,
    score,
)
from grader.usecases.judging import Checker, judge

OUTPUT_EXCERPT = 4096


@dataclass(frozen=True)
class GraderContext:
    sessions: SessionFactory
    sandbox: Sandbox
    wake_relay: Callable[[], None]
    max_output_bytes: int


async def copy_suite(ctx: GraderContext, event: AssignmentPublished, envelope: Envelope) -> None:
    async with ctx.sessions.begin() as session:
        if await claim(session, inbox, envelope.message_id, GRADER_ASSIGNMENTS.queue):
            await repo.save_suite(session, event)


async def grade(ctx: GraderContext, event: SubmissionCreated, envelope: Envelope) -> None:
    async with ctx.sessions.begin() as session:
        if await repo.run_finished(session, event.submission_id):
            return  # graded already: this is a redelivery
        suite = await repo.load_suite(session, event.assignment_id)
        if suite is None:
            # The suite travels in its own event and may not have been copied yet: retry later.
            raise TransientError(f"test suite of assignment {event.assignment_id} not received yet")
        assignment, cases = suite
        if await repo.start_run(
            session, event.submission_id, event.assignment_id, event.student_id, event.language
        ):
            started = GradingStarted(submission_id=event.submission_id, started_at=datetime.now(UTC))
            await add_event(session, outbox, started, envelope.correlation_id)
    ctx.wake_relay()

    limits = limits_of(assignment, min(assignment.max_output_kb * 1024, ctx.max_output_bytes))
    try:
        build = await ctx.sandbox.prepare(event.language, event.source)  # compiled once
        try:
            results = await judge(ctx.sandbox, build, cases, limits, _checker_of(assignment))
        finally:
            await ctx.sandbox.discard(build)
        compiler_says = compile_output(build, results)
    except SandboxError as error:
        if not envelope.final_attempt:
            raise  # retried through the delay tiers: the sandbox may work again
        # Retries are exhausted: the student is told (Internal Error), rather than left waiting.
        results = [TestResult(case, "internal_error", COMPILE_FAILED, f"sandbox: {error}") for case in cases]
        compiler_says = ""
    verdict = overall_verdict(results)
    earned, possible = score(results)

    async with ctx.sessions.begin() as session:
        if await repo.finish_run(session, event.submission_id, verdict, earned, possible, results):
            graded = SubmissionGraded(
                submission_id=event.submission_id,
                assignment_id=event.assignment_id,
                course_id=event.course_id,
                student_id=event.student_id,
                verdict=verdict,
                score=earned,
                max_score=possible,
                tests=tuple(_outcome(r) for r in results),
                compile_output=compiler_says[:OUTPUT_EXCERPT],
                graded_at=datetime.now(UTC),
            )
            await add_event(session, outbox, graded, envelope.correlation_id)
    ctx.wake_relay()


def compile_output(build: Build, results: list[TestResult]) -> str:
    """The compiler's message; for an interpreter that parses as it runs, the first parse error."""
    if build.compile_error is not None:
        return build.compile_error
    failed = (r.execution.stderr for r in results if r.verdict == "compilation_error")
    return next(failed, "")


def limits_of(spec: Any, output_bytes: int) -> Limits:
    """The run limits an assignment (or a run request) asks for: both carry the same fields."""
    return Limits(
        time_ms=spec.time_limit_ms,
        memory_mb=spec.memory_limit_mb,
        output_bytes=output_bytes,
        processes=spec.max_processes,
        file_bytes=spec.max_file_kb * 1024,
        stack_bytes=spec.stack_limit_mb * 1024 * 1024,
        wall_ms=spec.wall_limit_ms,
    )


def _checker_of(assignment: Any) -> Checker | None:
    if assignment.checker_language is None:
        return None
    return Checker(assignment.checker_language, assignment.checker_source)


def _outcome(result: TestResult) -> TestOutcome:
    ex = result.execution
    return TestOutcome(
        test_id=result.case.test_id,
        position=result.case.position,
        verdict=result.verdict,
        weight=result.case.weight,
        hidden=result.case.hidden,
        time_ms=round(ex.time_ms, 2),
        wall_ms=round(ex.wall_ms, 2),
        memory_kb=ex.memory_kb,
        exit_code=ex.exit_code,
        signal=ex.signal,
        stdout=ex.stdout[:OUTPUT_EXCERPT],
        stderr=ex.stderr[:OUTPUT_EXCERPT],
        message=result.message,
    )

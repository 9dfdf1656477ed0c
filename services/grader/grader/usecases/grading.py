"""Grading a submission: record the run, run every test in the sandbox, store and announce the
outcome — idempotent by submission id, so a redelivered submission is not graded twice. The
sandbox runs between two units of work: no transaction is held open while student code runs.

`grading.started` is announced only once grading has taken `started_after` seconds: most
submissions are graded sooner, and their `running` would last a blink that no one sees, at the cost
of an outbox row, a message and a read-model transaction each (docs/messages.md).

A regrade (`submission.regrade_requested`) goes the same way against the suite's current version,
as a run of its own (the earlier ones kept), once per version; it is taken only when a sandbox
slot is free of live work (usecases/live.py), and its grade is told only if it moved."""

import asyncio
import logging

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import (
    AssignmentPublished,
    GradingStarted,
    SubmissionCreated,
    SubmissionGraded,
    SubmissionRegradeRequested,
    TestOutcome,
)
from grader.domain.errors import SandboxError, SuiteNotReceived
from grader.domain.grading import (
    COMPILE_FAILED,
    Build,
    BuildOptions,
    Grade,
    Job,
    Outcome,
    Suite,
    TestResult,
    limits_of,
    overall_verdict,
    regrade_of,
    score,
    worth_telling,
)
from grader.usecases.judging import judge
from grader.usecases.ports import GraderContext, Uow

OUTPUT_EXCERPT = 4096
log = logging.getLogger(__name__)
Judged = tuple[list[TestResult], str]  # each test's result, and what the compiler said


async def copy_suite(uow: Uow, event: AssignmentPublished, _: Envelope) -> None:
    await uow.repos.save_suite(event)


async def grade(ctx: GraderContext, event: SubmissionCreated, envelope: Envelope) -> None:
    async with ctx.live.working():
        await _grade(ctx, event, envelope)


async def regrade(ctx: GraderContext, event: SubmissionRegradeRequested, envelope: Envelope) -> None:
    await ctx.live.room()
    await _grade(ctx, event, envelope)


async def _grade(ctx: GraderContext, event: Job, envelope: Envelope) -> None:
    suite = await _start(ctx, event, envelope)
    if suite is None:
        return  # graded already: this is a redelivery
    try:
        results, compiler_says = await _judge_announcing(ctx, event, envelope, suite)
    except SandboxError as error:
        if not envelope.final_attempt:
            raise  # retried through the delay tiers: the sandbox may work again
        # Retries are exhausted: the student is told (Internal Error), rather than left waiting.
        results = [
            TestResult(case, "internal_error", COMPILE_FAILED, f"sandbox: {error}") for case in suite.cases
        ]
        compiler_says = ""
    verdict = overall_verdict(results)
    earned, possible = score(results)
    now = Grade(earned, verdict)
    async with ctx.units() as uow:
        finished = await uow.repos.finish_run(
            event.submission_id, suite.version, Outcome(now, possible, results)
        )
        if finished.stored:
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
                graded_at=ctx.clock(),
                suite_version=suite.version,
                regrade_id=regrade_of(event),
                notify=worth_telling(event, finished.before, now),
            )
            uow.add_event(graded, envelope.correlation_id)
            await uow.commit()


async def _start(ctx: GraderContext, event: Job, envelope: Envelope) -> Suite | None:
    """The suite to grade against (the newest copied, at least the job's version), with the run
    recorded (and `grading.started` announced for a live submission, when it is not left until
    grading has taken a while); None when this job was done already."""
    async with ctx.units() as uow:
        suite = ctx.suites.get(event.assignment_id, at_least=event.suite_version)
        if suite is None:  # before the run, which refers to it
            suite = await uow.repos.load_suite(event.assignment_id)
            if suite is None or suite.version < event.suite_version:
                raise SuiteNotReceived(
                    f"test suite of assignment {event.assignment_id} (version {event.suite_version}) "
                    "not received yet"
                )
            ctx.suites.put(event.assignment_id, suite)
        run = await uow.repos.start_run(event, suite.version)
        if run.finished:
            return None  # nothing written: rolled back
        if run.fresh and ctx.started_after == 0 and isinstance(event, SubmissionCreated):
            uow.add_event(_started(ctx, event), envelope.correlation_id)
        await uow.commit()
    return suite


async def _judge_announcing(ctx: GraderContext, event: Job, envelope: Envelope, suite: Suite) -> Judged:
    judging = asyncio.ensure_future(_judge(ctx, event, suite))
    try:
        if ctx.started_after > 0 and isinstance(event, SubmissionCreated):
            await _announce_when_slow(ctx, event, envelope, judging)
        return await judging
    finally:
        judging.cancel()  # done already, or the handler was cancelled (shutdown): so is the run


async def _announce_when_slow(
    ctx: GraderContext,
    event: Job,
    envelope: Envelope,
    judging: "asyncio.Future[Judged]",
) -> None:
    """`grading.started`, if `judging` is still going after `started_after` seconds. Announcing is
    advice, not state: if it fails, grading goes on (the read model moves on to graded all the
    same), and one announced again after a retry moves nothing (the read model's status only moves
    forward)."""
    done, _ = await asyncio.wait({judging}, timeout=ctx.started_after)
    if done:
        return
    try:
        async with ctx.units() as uow:
            uow.add_event(_started(ctx, event), envelope.correlation_id)
            await uow.commit()
    except Exception:
        log.warning("grading.started of %s not announced", event.submission_id, exc_info=True)


def _started(ctx: GraderContext, event: Job) -> GradingStarted:
    return GradingStarted(submission_id=event.submission_id, started_at=ctx.clock())


async def _judge(ctx: GraderContext, event: Job, suite: Suite) -> Judged:
    """Compile once, run every test against the build; (results, what the compiler said)."""
    limits = limits_of(suite.limits, ctx.max_output_bytes)
    build = await ctx.sandbox.prepare(event.language, event.source, how=BuildOptions(limits.disk_bytes))
    try:
        results = await judge(ctx.sandbox, build, suite.cases, limits, suite.checker)
    finally:
        await ctx.sandbox.discard(build)
    return results, compile_output(build, results)


def compile_output(build: Build, results: list[TestResult]) -> str:
    """The compiler's message; for an interpreter that parses as it runs, the first parse error."""
    if build.compile_error is not None:
        return build.compile_error
    failed = (r.execution.stderr for r in results if r.verdict == "compilation_error")
    return next(failed, "")


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

"""Ad-hoc runs: a program run once on one input, outside any assignment (a "run" button, the
Judge0-compatible API). Judged like one test when an expected output is given. Idempotent by
message id: a redelivered request is not run again once its result has been staged."""

from datetime import UTC, datetime

from gradeflow_shared.consumer import claim, processed
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.errors import PermanentError
from gradeflow_shared.events import RunCompleted, RunRequested, Verdict
from gradeflow_shared.outbox import add_event
from gradeflow_shared.topology import GRADER_RUNS
from grader.adapters.db.tables import inbox, outbox
from grader.domain.grading import COMPILE_FAILED, Build, Execution, Limits, failure_of, verdict_of
from grader.domain.languages import LANGUAGES
from grader.usecases.grading import OUTPUT_EXCERPT, GraderContext, limits_of


async def execute_run(ctx: GraderContext, event: RunRequested, envelope: Envelope) -> None:
    if event.language not in LANGUAGES:
        raise PermanentError(f"language {event.language!r} is not supported")
    async with ctx.sessions() as session:
        if await processed(session, inbox, envelope.message_id):
            return  # a redelivery of a run already done
    limits = limits_of(event, ctx.max_output_bytes)
    build = await ctx.sandbox.prepare(event.language, event.source)
    try:
        execution, verdict = await _run(ctx, build, event, limits)
    finally:
        await ctx.sandbox.discard(build)

    async with ctx.sessions.begin() as session:
        if await claim(session, inbox, envelope.message_id, GRADER_RUNS.queue):
            completed = RunCompleted(
                run_id=event.run_id,
                user_id=event.user_id,
                verdict=verdict,
                stdout=execution.stdout[:OUTPUT_EXCERPT],
                stderr=execution.stderr[:OUTPUT_EXCERPT],
                compile_output=(
                    build.compile_error or (execution.stderr if verdict == "compilation_error" else "")
                )[:OUTPUT_EXCERPT],
                time_ms=round(execution.time_ms, 2),
                wall_ms=round(execution.wall_ms, 2),
                memory_kb=execution.memory_kb,
                exit_code=execution.exit_code,
                signal=execution.signal,
                completed_at=datetime.now(UTC),
            )
            await add_event(session, outbox, completed, envelope.correlation_id)
    ctx.wake_relay()


async def _run(
    ctx: GraderContext, build: Build, event: RunRequested, limits: Limits
) -> tuple[Execution, Verdict]:
    if build.compile_error is not None:
        return COMPILE_FAILED, "compilation_error"
    execution = await ctx.sandbox.run(build, event.stdin, limits)
    if event.expected_stdout is None:  # not judged: only how it ended
        return execution, failure_of(execution) or "accepted"
    return execution, verdict_of(execution, event.expected_stdout)

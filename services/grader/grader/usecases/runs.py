"""Ad-hoc runs: a program run once on one input, outside any assignment (a "run" button, the
Judge0-compatible API). Judged like one test when an expected output is given. Idempotent by
message id: a redelivered request is not run again once its result has been staged."""

import base64
from dataclasses import replace

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import RunCompleted, RunRequested, Verdict
from gradeflow_shared.limits import SPECS
from gradeflow_shared.topology import GRADER_RUNS
from grader.domain.errors import SandboxError, UnsupportedLanguage
from grader.domain.grading import COMPILE_FAILED, BuildOptions, Execution, failure_of, limits_of, verdict_of
from grader.domain.languages import LANGUAGES, JobeWay
from grader.usecases.grading import OUTPUT_EXCERPT
from grader.usecases.ports import GraderContext

RUN_OUTPUT_BYTES = SPECS["max_output_kb"].maximum * 1024


async def execute_run(ctx: GraderContext, event: RunRequested, envelope: Envelope) -> None:
    if event.language not in LANGUAGES:
        raise UnsupportedLanguage(f"language {event.language!r} is not supported")
    async with ctx.units() as uow:
        if await uow.seen(envelope.message_id):
            return  # a redelivery of a run already done
    try:
        execution, verdict, compiler_says = await _run(ctx, event)
    except SandboxError as error:
        if not envelope.final_attempt:
            raise  # retried through the delay tiers: the sandbox may work again
        # Retries are exhausted: the one who asked is told (Internal Error), not left "queued".
        execution, verdict, compiler_says = (
            replace(COMPILE_FAILED, stderr=f"sandbox: {error}"),
            "internal_error",
            "",
        )
    async with ctx.units() as uow:
        if await uow.claim(envelope.message_id, GRADER_RUNS.queue):
            uow.add_event(_completed(ctx, event, execution, verdict, compiler_says), envelope.correlation_id)
            await uow.commit()


async def _run(ctx: GraderContext, event: RunRequested) -> tuple[Execution, Verdict, str]:
    """(what the run did, its verdict, what the compiler said)."""
    # A run is one test: its output within its own limit (up to 4 MiB; Jobe's streamsize is 2 MB),
    # where a submission's many tests are capped by the grader's MAX_OUTPUT_BYTES.
    limits = replace(limits_of(event, RUN_OUTPUT_BYTES), extra_ms=event.cpu_extra_ms)
    files = [(f.name, base64.b64decode(f.content_b64)) for f in event.files]
    jobe = (
        JobeWay(
            source_name=event.source_name,
            compile_args=event.compile_args,
            link_args=event.link_options,
            interpreter_args=event.interpreter_args,
        )
        if event.dialect == "jobe"
        else None
    )
    how = BuildOptions(limits.disk_bytes, files, event.args, event.compile_options, jobe, event.merge_stderr)
    build = await ctx.sandbox.prepare(event.language, event.source, how=how)
    try:
        if build.compile_error is not None:
            return COMPILE_FAILED, "compilation_error", build.compile_error
        executions = await ctx.sandbox.run_all(build, [event.stdin] * event.runs, limits)
    finally:
        await ctx.sandbox.discard(build)
    execution = _averaged(executions, event.expected_stdout)
    if jobe:  # output past the limit was cut off, the run going on: how it ended is the rest
        execution = replace(execution, output_exceeded=False)
    if event.expected_stdout is None:  # not judged: only how it ended
        verdict = failure_of(execution) or "accepted"
    else:
        verdict = verdict_of(execution, event.expected_stdout)
    return execution, verdict, execution.stderr if verdict == "compilation_error" else ""


def _completed(
    ctx: GraderContext, event: RunRequested, execution: Execution, verdict: Verdict, compiler_says: str
) -> RunCompleted:
    return RunCompleted(
        run_id=event.run_id,
        user_id=event.user_id,
        verdict=verdict,
        # A run's whole output, within its own limit (a submission's tests keep excerpts).
        stdout=execution.stdout,
        stderr=execution.stderr,
        stdout_bytes_b64=_b64(execution.stdout_bytes),
        stderr_bytes_b64=_b64(execution.stderr_bytes),
        compile_output=compiler_says[:OUTPUT_EXCERPT],
        time_ms=round(execution.time_ms, 2),
        wall_ms=round(execution.wall_ms, 2),
        memory_kb=execution.memory_kb,
        exit_code=execution.exit_code,
        signal=execution.signal,
        completed_at=ctx.clock(),
    )


def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode() if data is not None else None


def _averaged(executions: list[Execution], expected: str | None) -> Execution:
    """Judge0's number_of_runs: the runs up to the first that did not pass (or all), the last of
    them as the result, its time and memory their average."""
    counted: list[Execution] = []
    for execution in executions:
        counted.append(execution)
        failed = failure_of(execution) or (
            expected is not None and verdict_of(execution, expected) != "accepted"
        )
        if failed:
            break
    last, n = counted[-1], len(counted)
    return replace(
        last,
        time_ms=sum(e.time_ms for e in counted) / n,
        wall_ms=sum(e.wall_ms for e in counted) / n,
        memory_kb=round(sum(e.memory_kb for e in counted) / n),
    )

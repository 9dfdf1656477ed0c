"""Ad-hoc runs: a program run once on one input (a "run" button, the Judge0-compatible API).
Accepted at once (202) through the outbox like a submission; the grader's result lands here."""

import asyncio
import contextlib
from typing import Any
from uuid import UUID

from gateway import schemas as s
from gateway.domain.errors import Conflict, NotFound, Overloaded
from gateway.domain.records import RunStatistics
from gateway.usecases.ports import Context, Uow
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import RunCompleted, RunRequested
from gradeflow_shared.topology import GRADER_RUNS

POLL_SECONDS = 0.05  # a waiting request reads its run's row this often, when runs are not announced
FALLBACK_SECONDS = 1.0  # and when they are, this often all the same
EVENT_ONLY = {
    "files",
    "args",
    "compile_options",
    "dialect",
    "source_name",
    "compile_args",
    "link_options",
    "interpreter_args",
    "merge_stderr",
    "runs",
    "cpu_extra_ms",
}
RESULT_FIELDS = {
    "stdout",
    "stderr",
    "stdout_bytes_b64",
    "stderr_bytes_b64",
    "compile_output",
    "time_ms",
    "wall_ms",
    "memory_kb",
    "exit_code",
    "signal",
}


async def request_run(ctx: Context, user_id: UUID, cmd: s.RunIn) -> s.RunAccepted:
    [accepted] = await request_runs(ctx, user_id, [cmd])
    return accepted


async def request_runs(
    ctx: Context, user_id: UUID, cmds: list[s.RunIn], callbacks: list[tuple[str, bool] | None] | None = None
) -> list[s.RunAccepted]:
    """Store the runs and stage their `run.requested` in one unit: a batch is accepted whole —
    or refused at once while the runs' backlog is full. `callbacks`: per run, (URL, base64) to PUT
    its result to once done (Judge0's callback_url)."""
    if ctx.backlog is not None and ctx.backlog.full(GRADER_RUNS.queue):
        raise Overloaded("the queue of runs is full; retry shortly")
    async with ctx.units() as uow:
        if await uow.repos.users.get_user(user_id) is None:
            raise NotFound("user not found")
        # Files, arguments and options travel in the event only: the row keeps what is read back.
        rows = await uow.repos.runs.add_runs(user_id, [cmd.model_dump(exclude=EVENT_ONLY) for cmd in cmds])
        for row, cmd in zip(rows, cmds, strict=True):
            event = RunRequested(
                run_id=row.id, user_id=user_id, requested_at=row.created_at, **cmd.model_dump()
            )
            uow.add_event(event, str(row.id))
        wanted = [(row.id, *c) for row, c in zip(rows, callbacks or [], strict=False) if c is not None]
        if wanted:
            await uow.repos.runs.add_callbacks(wanted)
        await uow.commit()
    return [s.RunAccepted(id=row.id, status=row.status) for row in rows]


async def view_run(ctx: Context, user_id: UUID, run_id: UUID) -> s.RunOut:
    [run] = await view_runs(ctx, user_id, [run_id])
    return run


async def await_done(ctx: Context, user_id: UUID, run_id: UUID, wait_seconds: float) -> s.RunOut:
    """The run once done, or as it stands after `wait_seconds` (Judge0's wait=true, Jobe's runs):
    read when its result is announced (ctx.runs_done), and every FALLBACK_SECONDS in case a notice
    was lost; without announcements, every POLL_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    feed = ctx.runs_done
    pause = FALLBACK_SECONDS if feed else POLL_SECONDS
    # Subscribed before the first read: no announcement missed (without a feed, nothing is announced).
    with feed.subscribe(run_id) if feed else contextlib.nullcontext(asyncio.Event()) as announced:
        while True:
            announced.clear()
            run = await view_run(ctx, user_id, run_id)
            left = deadline - loop.time()
            if run.status == "done" or left <= 0:
                return run
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(announced.wait(), min(left, pause))


async def view_runs(ctx: Context, user_id: UUID, run_ids: list[UUID]) -> list[s.RunOut]:
    """Only the one who asked sees a run (its source and input are theirs); one query for all."""
    async with ctx.units() as uow:
        found = await uow.repos.runs.get_runs(run_ids)
    views = []
    for run_id in run_ids:
        row = found.get(run_id)
        if row is None or row.user_id != user_id:
            raise NotFound("run not found", field="run_id")
        views.append(view_of(row))
    return views


def view_of(row: Any) -> s.RunOut:
    return s.RunOut(
        id=row.id,
        language=row.language,
        status=row.status,
        verdict=row.verdict,
        created_at=row.created_at,
        updated_at=row.updated_at,
        **(row.result or {}),
    )


async def run_completed(uow: Uow, event: RunCompleted, _: Envelope) -> None:
    await uow.repos.runs.complete_run(
        event.run_id, event.verdict, event.model_dump(mode="json", include=RESULT_FIELDS)
    )
    await uow.repos.runs.callback_due(event.run_id)  # its Judge0 callback, if it asked for one, may go


async def my_runs(ctx: Context, user_id: UUID, page: int, per_page: int) -> tuple[int, list[s.RunOut]]:
    """(how many, a numbered page of the caller's runs, newest first)."""
    async with ctx.units() as uow:
        total, rows = await uow.repos.runs.user_runs(user_id, (page - 1) * per_page, per_page)
    return total, [view_of(row) for row in rows]


async def delete_run(ctx: Context, user_id: UUID, run_id: UUID) -> s.RunOut:
    """A finished run of the caller's, deleted (its result is answered one last time); one still
    queued is a conflict, as Judge0 has it."""
    async with ctx.units() as uow:
        row = (await uow.repos.runs.get_runs([run_id])).get(run_id)
        if row is None or row.user_id != user_id:
            raise NotFound("run not found", field="token")
        if row.status != "done":
            raise Conflict("the submission is not finished yet; it can be deleted once it is", field="token")
        await uow.repos.runs.delete_run(run_id)
        await uow.commit()
    return view_of(row)


async def statistics(ctx: Context) -> RunStatistics:
    async with ctx.units() as uow:
        return await uow.repos.runs.run_statistics()

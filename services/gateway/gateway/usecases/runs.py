"""Ad-hoc runs: a program run once on one input (a "run" button, the Judge0-compatible API).
Accepted at once (202) through the outbox like a submission; the grader's result lands here."""

from uuid import UUID

from gateway import schemas as s
from gateway.adapters.db import runs as repo
from gateway.adapters.db.repositories import get_user
from gateway.adapters.db.tables import inbox, outbox
from gateway.domain.errors import NotFound
from gateway.usecases.context import Context
from gradeflow_shared.consumer import claim
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import RunCompleted, RunRequested
from gradeflow_shared.outbox import add_events
from gradeflow_shared.topology import GATEWAY_RUNS_COMPLETED


async def request_run(ctx: Context, user_id: UUID, cmd: s.RunIn) -> s.RunAccepted:
    [accepted] = await request_runs(ctx, user_id, [cmd])
    return accepted


async def request_runs(ctx: Context, user_id: UUID, cmds: list[s.RunIn]) -> list[s.RunAccepted]:
    """Store the runs and stage their `run.requested` in one transaction: a batch is accepted whole."""
    async with ctx.unit_of_work() as session:
        if await get_user(session, user_id) is None:
            raise NotFound("user not found")
        rows = await repo.add_runs(session, user_id, [cmd.model_dump() for cmd in cmds])
        events = [
            RunRequested(
                run_id=row.id,
                user_id=user_id,
                language=row.language,
                source=row.source,
                stdin=row.stdin,
                expected_stdout=row.expected_stdout,
                time_limit_ms=row.time_limit_ms,
                memory_limit_mb=row.memory_limit_mb,
                wall_limit_ms=row.wall_limit_ms,
                max_processes=row.max_processes,
                max_file_kb=row.max_file_kb,
                stack_limit_mb=row.stack_limit_mb,
                requested_at=row.created_at,
            )
            for row in rows
        ]
        await add_events(session, outbox, [(event, str(event.run_id)) for event in events])
    return [s.RunAccepted(id=row.id, status=row.status) for row in rows]


async def view_run(ctx: Context, user_id: UUID, run_id: UUID) -> s.RunOut:
    [run] = await view_runs(ctx, user_id, [run_id])
    return run


async def view_runs(ctx: Context, user_id: UUID, run_ids: list[UUID]) -> list[s.RunOut]:
    """Only the one who asked sees a run (its source and input are theirs); one query for all."""
    async with ctx.sessions() as session:
        found = await repo.get_runs(session, run_ids)
    views = []
    for run_id in run_ids:
        row = found.get(run_id)
        if row is None or row.user_id != user_id:
            raise NotFound("run not found", field="run_id")
        views.append(
            s.RunOut(
                id=row.id,
                language=row.language,
                status=row.status,
                verdict=row.verdict,
                created_at=row.created_at,
                updated_at=row.updated_at,
                **(row.result or {}),
            )
        )
    return views


async def run_completed(ctx: Context, event: RunCompleted, envelope: Envelope) -> None:
    async with ctx.sessions.begin() as session:
        if await claim(session, inbox, envelope.message_id, GATEWAY_RUNS_COMPLETED.queue):
            result = event.model_dump(
                mode="json",
                include={
                    "stdout",
                    "stderr",
                    "compile_output",
                    "time_ms",
                    "wall_ms",
                    "memory_kb",
                    "exit_code",
                    "signal",
                },
            )
            await repo.complete_run(session, event.run_id, event.verdict, result)

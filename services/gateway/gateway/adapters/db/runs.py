"""Queries on ad-hoc runs, through the caller's session."""

from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.adapters.db.tables import runs
from gradeflow_shared.ids import new_id


async def add_runs(session: AsyncSession, user_id: UUID, many: list[dict[str, Any]]) -> list[Row[Any]]:
    """Insert the runs in one round trip; rows come back in the order given."""
    stmt = insert(runs).returning(runs, sort_by_parameter_order=True)
    params = [{"id": new_id(), "user_id": user_id, "status": "queued", **fields} for fields in many]
    return list((await session.execute(stmt, params)).all())


async def get_runs(session: AsyncSession, run_ids: list[UUID]) -> dict[UUID, Row[Any]]:
    """The runs of `run_ids` that exist, by id: one query however many."""
    rows = (await session.execute(select(runs).where(runs.c.id.in_(run_ids)))).all()
    return {row.id: row for row in rows}


async def complete_run(session: AsyncSession, run_id: UUID, verdict: str, result: dict[str, Any]) -> int:
    """Record the result once; a run already done is left alone (a duplicate event)."""
    stmt = (
        update(runs)
        .where(runs.c.id == run_id, runs.c.status != "done")
        .values(status="done", verdict=verdict, result=result, updated_at=func.now())
    )
    return int((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

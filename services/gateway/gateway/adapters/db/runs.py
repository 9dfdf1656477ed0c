"""Queries on ad-hoc runs, through the caller's session."""

from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.adapters.db.tables import runs
from gradeflow_shared.ids import new_id


async def add_run(session: AsyncSession, user_id: UUID, fields: dict[str, Any]) -> Row[Any]:
    stmt = insert(runs).values(id=new_id(), user_id=user_id, status="queued", **fields).returning(runs)
    row: Row[Any] = (await session.execute(stmt)).one()
    return row


async def get_run(session: AsyncSession, run_id: UUID) -> Row[Any] | None:
    return (await session.execute(select(runs).where(runs.c.id == run_id))).first()


async def complete_run(session: AsyncSession, run_id: UUID, verdict: str, result: dict[str, Any]) -> int:
    """Record the result once; a run already done is left alone (a duplicate event)."""
    stmt = (
        update(runs)
        .where(runs.c.id == run_id, runs.c.status != "done")
        .values(status="done", verdict=verdict, result=result, updated_at=func.now())
    )
    return int((await session.execute(stmt)).rowcount)  # type: ignore[attr-defined]

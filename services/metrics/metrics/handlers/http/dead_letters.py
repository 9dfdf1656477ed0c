"""Dead-letter API: list a queue's dead letters with their errors, replay one or all, purge."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel

from metrics.handlers.http.admins import Admin
from metrics.usecases import dead_letters
from metrics.usecases.ports import DeadLetterOps

router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"], dependencies=Admin)


class ReplayRequest(BaseModel):
    message_id: str | None = None


def _ops(request: Request) -> DeadLetterOps:
    ops: DeadLetterOps = request.app.state.dead_letters
    return ops


@router.get("/{queue}")
async def list_dead_letters(
    queue: str, request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    total, letters = await dead_letters.list_letters(_ops(request), queue, limit)
    return {"queue": queue, "dlq": f"{queue}.dlq", "total": total, "messages": [asdict(d) for d in letters]}


@router.post("/{queue}/replay")
async def replay(
    queue: str, request: Request, body: Annotated[ReplayRequest | None, Body()] = None
) -> dict[str, Any]:
    count = await dead_letters.replay(_ops(request), queue, body.message_id if body else None)
    return {"queue": queue, "replayed": count}


@router.delete("/{queue}")
async def purge(queue: str, request: Request) -> dict[str, Any]:
    return {"queue": queue, "purged": await dead_letters.purge(_ops(request), queue)}

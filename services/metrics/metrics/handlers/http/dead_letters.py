"""Dead-letter API: list a queue's dead letters with their errors, replay one or all, purge."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel

from metrics.handlers.http.admins import Admin
from metrics.handlers.http.edge import EdgeOf
from metrics.handlers.http.models import DeadLetters, Purged, Replayed
from metrics.usecases import dead_letters

router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"], dependencies=Admin)


class ReplayRequest(BaseModel):
    message_id: str | None = None


@router.get("/{queue}", response_model=DeadLetters)
async def list_dead_letters(
    queue: str, edge: EdgeOf, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    total, letters = await dead_letters.list_letters(edge.dead_letters, queue, limit)
    return {"queue": queue, "dlq": f"{queue}.dlq", "total": total, "messages": [asdict(d) for d in letters]}


@router.post("/{queue}/replay", response_model=Replayed)
async def replay(
    queue: str, edge: EdgeOf, body: Annotated[ReplayRequest | None, Body()] = None
) -> dict[str, Any]:
    count = await dead_letters.replay(edge.dead_letters, queue, body.message_id if body else None)
    return {"queue": queue, "replayed": count}


@router.delete("/{queue}", response_model=Purged)
async def purge(queue: str, edge: EdgeOf) -> Any:
    return {"queue": queue, "purged": await dead_letters.purge(edge.dead_letters, queue)}

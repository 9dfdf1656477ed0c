"""Dead-letter API: list a queue's dead letters with their errors, replay one or all, purge."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel

from gradeflow_shared.topology import ROUTES, Route, route_for
from metrics.adapters.dead_letters import DeadLetters
from metrics.domain.errors import NotFound

router = APIRouter(prefix="/v1/dead-letters", tags=["dead letters"])


class ReplayRequest(BaseModel):
    message_id: str | None = None


def _route(queue: str) -> Route:
    try:
        return route_for(queue)
    except KeyError:
        known = ", ".join(r.queue for r in ROUTES)
        raise NotFound(f"unknown queue {queue!r}; known: {known}", field="queue") from None


def _dlq(request: Request) -> DeadLetters:
    adapter: DeadLetters = request.app.state.dead_letters
    return adapter


@router.get("/{queue}")
async def list_dead_letters(
    queue: str, request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    total, letters = await _dlq(request).list(_route(queue), limit)
    return {"queue": queue, "dlq": f"{queue}.dlq", "total": total, "messages": [asdict(d) for d in letters]}


@router.post("/{queue}/replay")
async def replay(
    queue: str, request: Request, body: Annotated[ReplayRequest | None, Body()] = None
) -> dict[str, Any]:
    message_id = body.message_id if body else None
    count = await _dlq(request).replay(_route(queue), message_id)
    if message_id is not None and count == 0:
        raise NotFound(f"no dead letter {message_id} in {queue}.dlq", field="message_id")
    return {"queue": queue, "replayed": count}


@router.delete("/{queue}")
async def purge(queue: str, request: Request) -> dict[str, Any]:
    return {"queue": queue, "purged": await _dlq(request).purge(_route(queue))}

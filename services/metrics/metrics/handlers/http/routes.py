"""The stats API: per-queue depth, consumers, counts and timing percentiles."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from metrics.handlers.http.admins import Admin
from metrics.usecases import stats

router = APIRouter(prefix="/v1", tags=["queues"], dependencies=Admin)


@router.get("/queues")
async def list_queues(
    request: Request, window_seconds: Annotated[int | None, Query(ge=1, le=7 * 86400)] = None
) -> dict[str, Any]:
    state = request.app.state
    window = window_seconds or state.settings.stats_window_seconds
    queues = await stats.queue_stats(
        state.units, state.broker_stats, window, len(state.settings.retry_delays_ms)
    )
    return {"queues": queues}

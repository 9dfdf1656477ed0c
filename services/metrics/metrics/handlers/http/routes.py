"""The stats API: per-queue depth, consumers, rates, timing percentiles and health; a queue's
history and recent timings; the performance report; the alerts."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from metrics.handlers.http.admins import Admin
from metrics.usecases import reports, stats

router = APIRouter(prefix="/v1", tags=["queues"], dependencies=Admin)


def _context(request: Request) -> tuple[Any, Any, int, Any]:
    state = request.app.state
    return state.units, state.broker_stats, len(state.settings.retry_delays_ms), state.settings.thresholds_for


@router.get("/queues")
async def list_queues(
    request: Request, window_seconds: Annotated[int | None, Query(ge=1, le=7 * 86400)] = None
) -> dict[str, Any]:
    units, probe, tiers, thresholds = _context(request)
    window = window_seconds or request.app.state.settings.stats_window_seconds
    return {"queues": await stats.queue_stats(units, probe, tiers, thresholds, window_seconds=window)}


@router.get("/queues/{queue}")
async def get_queue(
    queue: str, request: Request, history_minutes: Annotated[int, Query(ge=1, le=7 * 24 * 60)] = 15
) -> dict[str, Any]:
    """The queue's report and its sampled history (depth, throughput, p95s, health) over the
    last `history_minutes`."""
    units, probe, tiers, thresholds = _context(request)
    return await reports.queue_report(units, probe, tiers, thresholds, queue, history_minutes)


@router.get("/queues/{queue}/timings")
async def recent_timings(
    queue: str, request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """The queue's most recent jobs: wait, processing, outcome, attempt and error of each."""
    return {"queue": queue, "timings": await reports.timings(request.app.state.units, queue, limit)}


@router.get("/history")
async def history(
    request: Request, minutes: Annotated[int, Query(ge=1, le=7 * 24 * 60)] = 15
) -> dict[str, Any]:
    """Every queue's samples over the last `minutes` (what the dashboard's charts draw)."""
    return {"samples": await reports.history(request.app.state.units, None, minutes)}


@router.get("/performance")
async def performance(
    request: Request, target_seconds: Annotated[float | None, Query(gt=0, le=86400)] = None
) -> dict[str, Any]:
    """Backlog trend, time to drain and consumers needed per queue, with recommendations."""
    units, probe, tiers, thresholds = _context(request)
    target = target_seconds or request.app.state.settings.drain_target_seconds
    return await reports.performance(units, probe, tiers, thresholds, target)


@router.get("/alerts")
async def list_alerts(
    request: Request,
    state: Literal["raised", "resolved"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Alerts, newest first: those raised (still active) and those resolved."""
    return {"alerts": await reports.alerts(request.app.state.units, state, limit)}

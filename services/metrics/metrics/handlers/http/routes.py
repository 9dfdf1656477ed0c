"""The stats API: per-queue depth, consumers, rates, timing percentiles and health; a queue's
history and recent timings; the performance report; the alerts."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from metrics.handlers.http.admins import Admin
from metrics.handlers.http.edge import EdgeOf
from metrics.handlers.http.models import Alerts, History, Performance, QueueReport, Queues, Timings
from metrics.usecases import reports, stats

router = APIRouter(prefix="/v1", tags=["queues"], dependencies=Admin)


@router.get("/queues", response_model=Queues)
async def list_queues(
    edge: EdgeOf, window_seconds: Annotated[int | None, Query(ge=1, le=7 * 86400)] = None
) -> dict[str, Any]:
    window = window_seconds or edge.stats_window_seconds
    found = await stats.queue_stats(edge.units, edge.probe, edge.retry_tiers, edge.thresholds_for, window)
    return {"queues": found}


@router.get("/queues/{queue}", response_model=QueueReport)
async def get_queue(
    queue: str, edge: EdgeOf, history_minutes: Annotated[int, Query(ge=1, le=7 * 24 * 60)] = 15
) -> dict[str, Any]:
    """The queue's report and its sampled history (depth, throughput, p95s, health) over the
    last `history_minutes`."""
    return await reports.queue_report(
        edge.units, edge.probe, edge.retry_tiers, edge.thresholds_for, queue, history_minutes
    )


@router.get("/queues/{queue}/timings", response_model=Timings)
async def recent_timings(
    queue: str, edge: EdgeOf, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """The queue's most recent jobs: wait, processing, outcome, attempt and error of each."""
    return {"queue": queue, "timings": await reports.timings(edge.units, queue, limit)}


@router.get("/history", response_model=History)
async def history(edge: EdgeOf, minutes: Annotated[int, Query(ge=1, le=7 * 24 * 60)] = 15) -> dict[str, Any]:
    """Every queue's samples over the last `minutes` (what the dashboard's charts draw)."""
    return {"samples": await reports.history(edge.units, None, minutes)}


@router.get("/performance", response_model=Performance)
async def performance(
    edge: EdgeOf, target_seconds: Annotated[float | None, Query(gt=0, le=86400)] = None
) -> dict[str, Any]:
    """Backlog trend, time to drain and consumers needed per queue, with recommendations."""
    target = target_seconds or edge.drain_target_seconds
    return await reports.performance(edge.units, edge.probe, edge.retry_tiers, edge.thresholds_for, target)


@router.get("/alerts", response_model=Alerts)
async def list_alerts(
    edge: EdgeOf,
    state: Literal["raised", "resolved"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Alerts, newest first: those raised (still active) and those resolved."""
    return {"alerts": await reports.alerts(edge.units, state, limit)}

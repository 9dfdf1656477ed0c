"""What operators read beside the per-queue statistics: a queue's recent timings and history, the
performance report with its recommendations, and the alerts."""

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from metrics.domain.health import Thresholds
from metrics.domain.performance import outlook
from metrics.domain.records import AlertRecord, JobTiming, QueueSample
from metrics.usecases import stats
from metrics.usecases.dead_letters import route_named
from metrics.usecases.ports import QueueProbe, Units


async def queue_report(
    units: Units,
    probe: QueueProbe,
    retry_tiers: int,
    thresholds_for: Callable[[str], Thresholds],
    queue: str,
    history_minutes: int,
) -> dict[str, Any]:
    route_named(queue)  # 404 naming the known queues
    [report] = await stats.queue_stats(units, probe, retry_tiers, thresholds_for, queues=[queue])
    report["history"] = await history(units, queue, history_minutes)
    return report


async def history(units: Units, queue: str | None, minutes: int) -> Sequence[QueueSample]:
    since = datetime.now(UTC) - timedelta(minutes=minutes)
    async with units() as uow:
        return await uow.repos.samples(queue, since)


async def timings(units: Units, queue: str, limit: int) -> Sequence[JobTiming]:
    route_named(queue)
    async with units() as uow:
        return await uow.repos.recent_timings(queue, limit)


async def performance(
    units: Units,
    probe: QueueProbe,
    retry_tiers: int,
    thresholds_for: Callable[[str], Thresholds],
    target_seconds: float,
) -> dict[str, Any]:
    """Per queue: backlog trend over the last 5 minutes, time to drain at the current rate and
    the consumers that would drain it within `target_seconds`; every recommendation in one list."""
    reports = await stats.queue_stats(units, probe, retry_tiers, thresholds_for, window_seconds=300)
    since = datetime.now(UTC) - timedelta(minutes=5)
    async with units() as uow:
        samples = await uow.repos.samples(None, since)
    depth_by_queue: dict[str, list[tuple[datetime, int]]] = {}
    for s in samples:
        if s.ready is not None:
            depth_by_queue.setdefault(s.queue, []).append((s.at, s.ready))
    queues: list[dict[str, Any]] = []
    advice: list[str] = []
    for r in reports:
        five = r["windows"]["5m"]
        view = outlook(
            r["queue"],
            r["depth"],
            r["consumers"],
            five["throughput_per_min"],
            depth_by_queue.get(r["queue"], []),
            target_seconds,
            five["failure_rate"],
            r["dead_letters"],
        )
        advice += view.recommendations
        queues.append(
            {
                "queue": r["queue"],
                "depth": r["depth"],
                "consumers": r["consumers"],
                "throughput_per_min": five["throughput_per_min"],
                "health": r["health"]["status"],
                **{k: v for k, v in asdict(view).items() if k != "recommendations"},
                "recommendations": list(view.recommendations),
            }
        )
    return {"target_seconds": target_seconds, "queues": queues, "recommendations": advice}


async def alerts(units: Units, state: str | None, limit: int) -> Sequence[AlertRecord]:
    async with units() as uow:
        return await uow.repos.list_alerts(state, limit)

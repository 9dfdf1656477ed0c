"""Recording job telemetry and answering per-queue statistics."""

import asyncio
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gradeflow_shared.db import SessionFactory
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import JobObserved
from gradeflow_shared.topology import ROUTES
from metrics.adapters.broker_stats import BrokerStats
from metrics.adapters.db.tables import job_timings
from metrics.domain.timings import processing_ms, wait_ms


async def record(sessions: SessionFactory, job: JobObserved, envelope: Envelope) -> None:
    """One row per telemetry message; its id is the message id, so a redelivery is a no-op."""
    async with sessions.begin() as session:
        await session.execute(
            pg_insert(job_timings)
            .values(
                id=UUID(envelope.message_id),
                queue=job.queue,
                message_id=job.message_id,
                message_type=job.message_type,
                outcome=job.outcome,
                attempt=job.attempt,
                wait_ms=wait_ms(job),
                processing_ms=processing_ms(job),
                started_at=job.started_at,
                finished_at=job.finished_at,
                error=job.error,
            )
            .on_conflict_do_nothing()
        )


_AGGREGATES = text(
    """
    SELECT queue,
           count(*) FILTER (WHERE outcome IN ('processed', 'duplicate')) AS processed,
           count(*) FILTER (WHERE outcome IN ('retried', 'dead_lettered')) AS failed,
           count(*) FILTER (WHERE outcome = 'dead_lettered') AS dead_lettered,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_ms) AS wait_p50,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY wait_ms) AS wait_p95,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY wait_ms) AS wait_p99,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY processing_ms) AS processing_p50,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY processing_ms) AS processing_p95,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY processing_ms) AS processing_p99
      FROM job_timings
     WHERE finished_at >= now() - make_interval(secs => :window)
     GROUP BY queue
    """
)


def _pcts(row: Any, prefix: str) -> dict[str, float | None]:
    if row is None:
        return {"p50": None, "p95": None, "p99": None}
    return {p: _round(getattr(row, f"{prefix}_{p}")) for p in ("p50", "p95", "p99")}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def queue_stats(
    sessions: SessionFactory, broker: BrokerStats, window_seconds: int, retry_tiers: int
) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = {r.queue: r for r in await session.execute(_AGGREGATES, {"window": float(window_seconds)})}
    states = await asyncio.gather(*(_depths(broker, r.queue, retry_tiers) for r in ROUTES))
    minutes = window_seconds / 60
    report = []
    for route, (depth, consumers, retrying, dead) in zip(ROUTES, states, strict=True):
        row = rows.get(route.queue)
        processed = int(row.processed) if row else 0
        report.append(
            {
                "queue": route.queue,
                "routing_key": route.routing_key,
                "depth": depth,
                "consumers": consumers,
                "retrying": retrying,
                "dead_letters": dead,
                "processed": processed,
                "failed": int(row.failed) if row else 0,
                "throughput_per_min": round(processed / minutes, 3),
                "wait_ms": _pcts(row, "wait"),
                "processing_ms": _pcts(row, "processing"),
                "window_seconds": window_seconds,
            }
        )
    return report


async def _depths(
    broker: BrokerStats, queue: str, retry_tiers: int
) -> tuple[int | None, int | None, int, int | None]:
    route = next(r for r in ROUTES if r.queue == queue)
    main = await broker.state(queue)
    tiers = [await broker.state(route.retry_queue(i)) for i in range(retry_tiers)]
    dlq = await broker.state(route.dlq)
    return (
        main.depth if main else None,
        main.consumers if main else None,
        sum(t.depth for t in tiers if t),
        dlq.depth if dlq else None,
    )

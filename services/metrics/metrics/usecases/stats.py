"""Recording job telemetry and answering per-queue statistics."""

import asyncio
from typing import Any
from uuid import UUID, uuid5

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import JobsObserved
from gradeflow_shared.topology import ROUTES, Route
from metrics.domain.timings import Timing, processing_ms, wait_ms
from metrics.usecases.ports import QueueProbe, Units


async def record(units: Units, report: JobsObserved, envelope: Envelope) -> None:
    """One row per job reported, keyed by the message's id and the job's place in it: a
    redelivery is a no-op."""
    await record_many(units, [(report, envelope)])


async def record_many(units: Units, reports: list[tuple[JobsObserved, Envelope]]) -> None:
    """Many telemetry messages in one unit of work (the subscriber batches them: one commit for a
    batch, not one per message)."""
    timings = [
        Timing(uuid5(UUID(e.message_id), str(i)), job, wait_ms(job), processing_ms(job))
        for report, e in reports
        for i, job in enumerate(report.jobs)
    ]
    async with units() as uow:
        await uow.repos.add_timings(timings)
        await uow.commit()


def _pcts(row: Any, prefix: str) -> dict[str, float | None]:
    if row is None:
        return {"p50": None, "p95": None, "p99": None}
    return {p: _round(getattr(row, f"{prefix}_{p}")) for p in ("p50", "p95", "p99")}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def queue_stats(
    units: Units, broker: QueueProbe, window_seconds: int, retry_tiers: int
) -> list[dict[str, Any]]:
    async with units() as uow:
        rows = await uow.repos.aggregates(window_seconds)
    states = await asyncio.gather(*(_depths(broker, route, retry_tiers) for route in ROUTES))
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
    broker: QueueProbe, route: Route, retry_tiers: int
) -> tuple[int | None, int | None, int, int | None]:
    """(depth, consumers, messages waiting in the retry tiers, dead letters) of a work queue."""
    main = await broker.state(route.queue)
    tiers = [await broker.state(route.retry_queue(i)) for i in range(retry_tiers)]
    dlq = await broker.state(route.dlq)
    return (
        main.depth if main else None,
        main.consumers if main else None,
        sum(t.depth for t in tiers if t),
        dlq.depth if dlq else None,
    )

"""Recording job telemetry and answering per-queue statistics: depth from the broker, timings over
1 minute, 5 minutes and 1 hour, rates, and each queue's health against its thresholds."""

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID, uuid5

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import JobsObserved
from gradeflow_shared.topology import ROUTES
from metrics.domain.health import Reading, Thresholds, checks, score
from metrics.domain.timings import Timing, processing_ms, wait_ms
from metrics.usecases.ports import QueueProbe, Unit, Units

WINDOWS = {"1m": 60, "5m": 300, "1h": 3600}


async def record(uow: Unit, report: JobsObserved, envelope: Envelope) -> None:
    """One row per job reported, keyed by the message's id and the job's place in it: a
    redelivery is a no-op (the subscriber runs the messages in hand in one unit of work:
    messaging.Mode.IDEMPOTENT)."""
    timings = [
        Timing(uuid5(UUID(envelope.message_id), str(i)), job, wait_ms(job), processing_ms(job))
        for i, job in enumerate(report.jobs)
    ]
    await uow.repos.add_timings(timings)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _times(row: Any, prefix: str) -> dict[str, float | None]:
    pcts = getattr(row, f"{prefix}_pcts", None) if row is not None else None
    p50, p95, p99 = pcts if pcts else (None, None, None)
    avg = getattr(row, f"{prefix}_avg", None) if row is not None else None
    return {"avg": _round(avg), "p50": _round(p50), "p95": _round(p95), "p99": _round(p99)}


def window_stats(row: Any, seconds: int) -> dict[str, Any]:
    processed = int(row.processed) if row else 0
    retried = int(row.retried) if row else 0
    dead = int(row.dead_lettered) if row else 0
    attempts = processed + retried + dead
    total = _times(row, "total")
    total.pop("avg")
    return {
        "window_seconds": seconds,
        "processed": processed,
        "retried": retried,
        "dead_lettered": dead,
        "failed": retried + dead,
        "throughput_per_min": round(processed / (seconds / 60), 3),
        "failure_rate": round((retried + dead) / attempts, 4) if attempts else None,
        "retry_rate": round(retried / attempts, 4) if attempts else None,
        "wait_ms": _times(row, "wait"),
        "processing_ms": _times(row, "processing"),
        "total_ms": total,
    }


async def queue_stats(
    units: Units,
    broker: QueueProbe,
    retry_tiers: int,
    thresholds_for: Callable[[str], Thresholds] = lambda _: Thresholds(),
    window_seconds: int = 3600,
    queues: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Every queue's report (or those named). The flat `processed`, `failed`, `wait_ms`,
    `processing_ms` and `throughput_per_min` are over `window_seconds`; `windows` has them over
    1 minute, 5 minutes and 1 hour."""
    routes = [r for r in ROUTES if queues is None or r.queue in queues]
    windows = sorted({*WINDOWS.values(), window_seconds})
    async with units() as uow:
        rows = await uow.repos.aggregates(windows)
    names = [n for r in routes for n in (r.queue, r.dlq, *(r.retry_queue(i) for i in range(retry_tiers)))]
    states = await broker.states(names)
    report = []
    for route in routes:
        main, dlq = states.get(route.queue), states.get(route.dlq)
        retrying = sum(s.depth for i in range(retry_tiers) if (s := states.get(route.retry_queue(i))))
        by_window = {name: window_stats(rows.get((route.queue, s)), s) for name, s in WINDOWS.items()}
        flat = window_stats(rows.get((route.queue, window_seconds)), window_seconds)
        five, one = by_window["5m"], by_window["1m"]
        thresholds = thresholds_for(route.queue)
        found = checks(
            Reading(
                backlog=main.depth if main else None,
                avg_wait_ms=five["wait_ms"]["avg"],
                avg_processing_ms=five["processing_ms"]["avg"],
                failure_rate=five["failure_rate"],
                throughput_1m=one["processed"],
            ),
            thresholds,
        )
        health_score, health = score(found)
        report.append(
            {
                "queue": route.queue,
                "routing_key": route.routing_key,
                "depth": main.depth if main else None,
                "unacked": main.unacked if main else None,
                "consumers": main.consumers if main else None,
                "retrying": retrying,
                "dead_letters": dlq.depth if dlq else None,
                "processed": flat["processed"],
                "failed": flat["failed"],
                "throughput_per_min": flat["throughput_per_min"],
                "wait_ms": flat["wait_ms"],
                "processing_ms": flat["processing_ms"],
                "window_seconds": window_seconds,
                "windows": by_window,
                "health": {
                    "status": health,
                    "score": health_score,
                    "checks": [
                        {
                            "rule": c.rule,
                            "value": round(c.value, 4),
                            "threshold": c.threshold,
                            "ratio": round(c.ratio, 4),
                            "breached": c.breached,
                        }
                        for c in found
                    ],
                },
                "thresholds": vars(thresholds),
            }
        )
    return report

"""The metrics service's use cases in memory: telemetry recorded once, per-queue statistics from
the store and the broker's view, and dead-letter operations by queue name."""

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import JobObserved, JobsObserved
from gradeflow_shared.topology import GRADER_SUBMISSIONS, ROUTES, Route
from gradeflow_shared.unit_of_work import idempotent_together
from metrics.domain.errors import NotFound
from metrics.domain.timings import Timing
from metrics.usecases import dead_letters, stats
from tests.support.fakes import FakeUnits, record


class FakeMetricsStore:
    def __init__(self) -> None:
        self.timings: dict[UUID, Any] = {}

    async def add_timings(self, timings: list[Timing]) -> None:
        for t in timings:
            self.timings.setdefault(
                t.telemetry_id, record(queue=t.job.queue, wait_ms=t.wait_ms, processing_ms=t.processing_ms)
            )

    async def aggregates(self, windows: Sequence[int]) -> dict[tuple[str, int], Any]:
        """Every timing falls in every window (they are all just made)."""
        by_queue: dict[str, list[Any]] = {}
        for t in self.timings.values():
            by_queue.setdefault(t.queue, []).append(t)
        found = {}
        for q, ts in by_queue.items():
            waits = sorted(t.wait_ms for t in ts)
            times = {f"{k}_{p}": None for k in ("wait", "processing", "total") for p in ("avg", "pcts")}
            times.update(wait_avg=sum(waits) / len(waits), wait_pcts=[waits[0], waits[-1], waits[-1]])
            for w in windows:
                found[(q, w)] = record(queue=q, processed=len(ts), retried=0, dead_lettered=0, **times)
        return found


@dataclass
class State:
    depth: int
    consumers: int
    unacked: int | None = None


class FakeProbe:
    def __init__(self, depths: dict[str, int]) -> None:
        self.depths = depths

    async def states(self, queues: Sequence[str]) -> dict[str, State]:
        return {q: State(self.depths[q], 1) for q in queues if q in self.depths}


class FakeDeadLetters:
    def __init__(self, letters: dict[str, list[str]]) -> None:
        self.letters = letters

    async def list(self, route: Route, limit: int) -> tuple[int, list[Any]]:
        found = self.letters.get(route.dlq, [])
        return len(found), found[:limit]

    async def replay(self, route: Route, message_id: str | None = None) -> int:
        found = self.letters.get(route.dlq, [])
        chosen = [m for m in found if message_id in (None, m)]
        self.letters[route.dlq] = [m for m in found if m not in chosen]
        return len(chosen)

    async def purge(self, route: Route) -> int:
        return len(self.letters.pop(route.dlq, []))


def _job(queue: str) -> JobObserved:
    now = datetime.now(UTC)
    return JobObserved(
        queue=queue,
        message_id="m",
        message_type="submission.created",
        published_at=now - timedelta(seconds=2),
        started_at=now,
        finished_at=now + timedelta(milliseconds=250),
        outcome="processed",
        attempt=1,
    )


async def test_telemetry_is_recorded_once_with_its_wait_and_processing_times() -> None:
    units = FakeUnits(FakeMetricsStore())
    report = JobsObserved(jobs=(_job(GRADER_SUBMISSIONS.queue),))
    envelope = Envelope.for_event(report)
    handle = idempotent_together(units, stats.record)
    await handle(report, envelope)
    await handle(report, envelope)
    [timing] = units.repos.timings.values()
    assert timing.wait_ms == pytest.approx(2000) and timing.processing_ms == pytest.approx(250)


async def test_queue_stats_cover_every_queue_with_depth_retries_and_dead_letters() -> None:
    units = FakeUnits(FakeMetricsStore())
    report = JobsObserved(jobs=(_job(GRADER_SUBMISSIONS.queue),))
    await idempotent_together(units, stats.record)(report, Envelope.for_event(report))
    q = GRADER_SUBMISSIONS
    probe = FakeProbe({q.queue: 7, q.retry_queue(0): 2, q.retry_queue(1): 1, q.dlq: 3})
    report = {r["queue"]: r for r in await stats.queue_stats(units, probe, retry_tiers=2, window_seconds=60)}
    assert set(report) == {r.queue for r in ROUTES}
    row = report[q.queue]
    assert (row["depth"], row["retrying"], row["dead_letters"], row["processed"]) == (7, 3, 3, 1)
    assert row["throughput_per_min"] == 1.0
    assert row["windows"]["5m"]["throughput_per_min"] == 0.2 and row["windows"]["1h"]["processed"] == 1
    assert row["wait_ms"]["avg"] == 2000 and row["health"]["status"] == "excellent"
    assert report["notifier.grades"]["depth"] is None, "a queue the broker does not know shows no depth"


async def test_dead_letters_are_operated_by_queue_name_and_unknown_names_are_refused() -> None:
    ops = FakeDeadLetters({GRADER_SUBMISSIONS.dlq: ["a", "b"]})
    assert await dead_letters.list_letters(ops, GRADER_SUBMISSIONS.queue, 1) == (2, ["a"])
    with pytest.raises(NotFound) as unknown:
        await dead_letters.list_letters(ops, "grader.nothing", 10)
    assert unknown.value.field == "queue" and GRADER_SUBMISSIONS.queue in unknown.value.message
    with pytest.raises(NotFound):
        await dead_letters.replay(ops, GRADER_SUBMISSIONS.queue, str(uuid.uuid4()))
    assert await dead_letters.replay(ops, GRADER_SUBMISSIONS.queue, "a") == 1
    assert await dead_letters.purge(ops, GRADER_SUBMISSIONS.queue) == 1


async def test_a_batch_of_telemetry_is_one_unit_of_work_and_a_redelivery_in_it_a_no_op() -> None:
    units = FakeUnits(FakeMetricsStore())
    reports = [JobsObserved(jobs=(_job(GRADER_SUBMISSIONS.queue),) * n) for n in (1, 2)]
    envelopes = [Envelope.for_event(r) for r in reports]
    handle = idempotent_together(units, stats.record)
    messages = [*zip(reports, envelopes, strict=True), (reports[1], envelopes[1])]
    await asyncio.gather(*(handle(report, envelope) for report, envelope in messages))
    assert len(units.repos.timings) == 3 and units.commits == 1, "each job once, the redelivery a no-op"

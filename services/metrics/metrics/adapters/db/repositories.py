"""The metrics service's repository on one unit of work's session. Implements
usecases.ports.MetricsStore."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from metrics.adapters.db.tables import job_timings
from metrics.domain.timings import Timing

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


class SqlMetricsStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_timings(self, timings: list[Timing]) -> None:
        """One row per telemetry message, keyed by its id (a redelivery is a no-op): one
        multi-row statement for the batch."""
        rows = [
            {
                "id": t.telemetry_id,
                "queue": t.job.queue,
                "message_id": t.job.message_id,
                "message_type": t.job.message_type,
                "outcome": t.job.outcome,
                "attempt": t.job.attempt,
                "wait_ms": t.wait_ms,
                "processing_ms": t.processing_ms,
                "started_at": t.job.started_at,
                "finished_at": t.job.finished_at,
                "error": t.job.error,
            }
            for t in timings
        ]
        await self._session.execute(pg_insert(job_timings).values(rows).on_conflict_do_nothing())

    async def aggregates(self, window_seconds: int) -> dict[str, Any]:
        """Per queue: counts and percentiles of wait and processing time over the window."""
        rows = await self._session.execute(_AGGREGATES, {"window": float(window_seconds)})
        return {row.queue: row for row in rows}

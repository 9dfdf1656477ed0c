"""The metrics service's repository on one unit of work's session. Implements
usecases.ports.MetricsStore."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from metrics.adapters.db.tables import alerts, job_timings, queue_samples
from metrics.domain.records import AlertRecord, JobTiming, QueueSample
from metrics.domain.timings import Timing

# Every window in one pass: each row joins the windows it falls in (the newest rows all three).
_AGGREGATES = text(
    """
    SELECT t.queue, w.secs AS window_seconds,
           count(*) FILTER (WHERE outcome IN ('processed', 'duplicate')) AS processed,
           count(*) FILTER (WHERE outcome = 'retried') AS retried,
           count(*) FILTER (WHERE outcome = 'dead_lettered') AS dead_lettered,
           avg(wait_ms) AS wait_avg,
           avg(processing_ms) AS processing_avg,
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY wait_ms) AS wait_pcts,
           percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY processing_ms) AS processing_pcts,
           percentile_cont(ARRAY[0.5, 0.95, 0.99])
               WITHIN GROUP (ORDER BY coalesce(wait_ms, 0) + processing_ms) AS total_pcts
      FROM job_timings t
      JOIN unnest(:windows) AS w(secs) ON t.finished_at >= now() - make_interval(secs => w.secs)
     WHERE t.finished_at >= now() - make_interval(secs => :longest)
     GROUP BY t.queue, w.secs
    """
).bindparams(bindparam("windows", type_=ARRAY(INTEGER)))

# Samples older than `full_before` thinned to the last of each minute (looking back two hours
# from there: what is older was thinned by an earlier pass).
_THIN = text(
    """
    DELETE FROM queue_samples s
     USING (SELECT queue, at,
                   row_number() OVER (PARTITION BY queue, date_trunc('minute', at) ORDER BY at DESC) AS n
              FROM queue_samples
             WHERE at < :full_before AND at >= CAST(:full_before AS timestamptz) - interval '2 hours') old
     WHERE s.queue = old.queue AND s.at = old.at AND old.n > 1
    """
)

_TIMING_COLUMNS = (
    "id",
    "queue",
    "message_id",
    "message_type",
    "outcome",
    "attempt",
    "wait_ms",
    "processing_ms",
    "started_at",
    "finished_at",
    "error",
)
_ADD_TIMINGS = text(
    """
    INSERT INTO job_timings
        (id, queue, message_id, message_type, outcome, attempt, wait_ms, processing_ms,
         started_at, finished_at, error)
    SELECT * FROM unnest(
        CAST(:id AS uuid[]), CAST(:queue AS text[]), CAST(:message_id AS text[]),
        CAST(:message_type AS text[]), CAST(:outcome AS text[]), CAST(:attempt AS int[]),
        CAST(:wait_ms AS float8[]), CAST(:processing_ms AS float8[]),
        CAST(:started_at AS timestamptz[]), CAST(:finished_at AS timestamptz[]), CAST(:error AS text[])
    )
    ON CONFLICT DO NOTHING
    """
)

_LEAD = text("SELECT pg_try_advisory_xact_lock(hashtext('gradeflow.metrics.monitor'))")


class SqlMetricsStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_timings(self, timings: list[Timing]) -> None:
        """One row per telemetry message, keyed by its id (a redelivery is a no-op): one
        statement for the batch, its columns as arrays (compiled once, whatever the batch's size;
        a multi-row VALUES was compiled anew for every batch)."""
        columns: dict[str, list[Any]] = {name: [] for name in _TIMING_COLUMNS}
        for t in timings:
            job = t.job
            for name, value in zip(
                _TIMING_COLUMNS,
                (
                    t.telemetry_id,
                    job.queue,
                    job.message_id,
                    job.message_type,
                    job.outcome,
                    job.attempt,
                    t.wait_ms,
                    t.processing_ms,
                    job.started_at,
                    job.finished_at,
                    job.error,
                ),
                strict=True,
            ):
                columns[name].append(value)
        await self._session.execute(_ADD_TIMINGS, columns)

    async def aggregates(self, windows: Sequence[int]) -> dict[tuple[str, int], Any]:
        """Per (queue, window in seconds): counts, averages and p50/p95/p99 of wait, processing
        and total time."""
        rows = await self._session.execute(_AGGREGATES, {"windows": list(windows), "longest": max(windows)})
        return {(row.queue, row.window_seconds): row for row in rows}

    async def recent_timings(self, queue: str, limit: int) -> list[JobTiming]:
        t = job_timings.c
        stmt = (
            select(t.message_id, t.message_type, t.outcome, t.attempt, t.wait_ms, t.processing_ms)
            .add_columns(t.started_at, t.finished_at, t.error)
            .where(t.queue == queue)
            .order_by(t.finished_at.desc())
            .limit(limit)
        )
        return [JobTiming(**row._mapping) for row in await self._session.execute(stmt)]

    async def add_samples(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._session.execute(pg_insert(queue_samples).values(rows).on_conflict_do_nothing())

    async def samples(self, queue: str | None, since: datetime) -> list[QueueSample]:
        s = queue_samples.c
        stmt = select(queue_samples).where(s.at >= since).order_by(s.queue, s.at)
        if queue is not None:
            stmt = stmt.where(s.queue == queue)
        return [QueueSample(**row._mapping) for row in await self._session.execute(stmt)]

    async def prune(self, full_before: datetime, samples_before: datetime, timings_before: datetime) -> None:
        await self._session.execute(_THIN, {"full_before": full_before})
        await self._session.execute(delete(queue_samples).where(queue_samples.c.at < samples_before))
        await self._session.execute(delete(job_timings).where(job_timings.c.finished_at < timings_before))

    async def lead(self) -> bool:
        """This unit of work is the only one evaluating alerts until it ends (replicas take turns)."""
        return bool((await self._session.execute(_LEAD)).scalar())

    async def raised_alerts(self) -> list[AlertRecord]:
        rows = await self._session.execute(select(alerts).where(alerts.c.state == "raised"))
        return [AlertRecord(**row._mapping) for row in rows]

    async def raise_alert(self, row: Mapping[str, Any]) -> bool:
        """False when the queue's rule has a raised alert already."""
        stmt = (
            pg_insert(alerts)
            .values(state="raised", **row)
            .on_conflict_do_nothing(index_elements=["queue", "rule"], index_where=text("state = 'raised'"))
            .returning(alerts.c.id)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def resolve_alert(self, queue: str, rule: str, at: datetime) -> AlertRecord | None:
        """The alert resolved, or None when none was raised."""
        a = alerts.c
        stmt = (
            update(alerts)
            .where(a.queue == queue, a.rule == rule, a.state == "raised")
            .values(state="resolved", resolved_at=at)
            .returning(alerts)
        )
        row = (await self._session.execute(stmt)).first()
        return None if row is None else AlertRecord(**row._mapping)

    async def list_alerts(self, state: str | None, limit: int) -> list[AlertRecord]:
        stmt = select(alerts).order_by(alerts.c.raised_at.desc()).limit(limit)
        if state is not None:
            stmt = stmt.where(alerts.c.state == state)
        return [AlertRecord(**row._mapping) for row in await self._session.execute(stmt)]

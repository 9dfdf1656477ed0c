"""Job telemetry off the job's path: every consumer reports each job it settled (`JobObserved`, to
the metrics service), and publishing that report with a confirm of its own, before the handler
returned, doubled what a job cost the broker and held its prefetch slot for a round trip. Here a
report is queued in memory and published with the others of the same moment, up to `max_items`
in one `telemetry.jobs` message, persistent and confirmed. Telemetry must never slow or fail the work it
describes: when the broker is unreachable, reports beyond `max_pending` are dropped (counted and
logged) rather than held without bound; a process killed outright loses the last few; both show
as a gap in metrics, never as a lost job."""

import asyncio
import contextlib
import contextvars
import logging
from datetime import datetime

import orjson

from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import JobObserved, JobsObserved, Outcome

log = logging.getLogger(__name__)


JobReport = tuple[str, str, str, datetime | None, datetime, datetime, Outcome, int, str | None]
"""One job settled: `JobObserved`'s fields, in its order (queue, message id and type, published,
started, finished, outcome, attempt, error). A tuple on the job's path, not the model: building the
pydantic model for every job (7 µs) was most of what telemetry cost a consumer; the batch is
encoded once, at flush, as `telemetry.jobs`' JSON (the metrics service validates it)."""
_FIELDS = tuple(JobObserved.model_fields)


def encode(batch: list[JobReport]) -> bytes:
    """The batch as a `JobsObserved` body (orjson: a tenth of the stdlib's time, datetimes included,
    as RFC 3339)."""
    return orjson.dumps({"jobs": [dict(zip(_FIELDS, job, strict=True)) for job in batch]})


class Telemetry:
    def __init__(
        self, publisher: Publisher, max_wait: float = 1.0, max_items: int = 500, max_pending: int = 20_000
    ) -> None:
        self._publisher = publisher
        self._max_wait = max_wait
        self._max_items = max_items
        self._max_pending = max_pending
        self._pending: list[JobReport] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self.dropped = 0

    def report(self, observed: JobReport) -> None:
        """Queue `observed`; it goes out within `max_wait` (sooner once `max_items` are queued)."""
        if len(self._pending) >= self._max_pending:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("telemetry: broker not keeping up, %d job reports dropped", self.dropped)
            return
        self._pending.append(observed)
        if self._flushing is not None:
            return  # the flush in progress takes a full batch next, or arms the timer as it ends
        if len(self._pending) >= self._max_items:
            self._flush_now()
        else:
            self._arm()

    def _flush_now(self, draining: bool = False) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushing is None and self._pending:
            self._flushing = asyncio.get_running_loop().create_task(
                self._flush(draining), context=contextvars.Context()
            )

    def _arm(self) -> None:
        # In a context of its own: a report is no part of the trace of the job that queued it.
        if self._pending and self._timer is None and self._flushing is None:
            self._timer = asyncio.get_running_loop().call_later(
                self._max_wait, self._flush_now, context=contextvars.Context()
            )

    async def _flush(self, draining: bool) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._max_items], self._pending[self._max_items :]
                envelope = Envelope.for_event(JobsObserved.model_construct(jobs=()))
                message = message_for(encode(batch), envelope)
                [failed] = await self._publisher.publish_many([(message, JobsObserved.type)])
                if failed is not None:
                    # Not retried: the broker is likely down, and reports are worth less than work.
                    self.dropped += len(batch)
                    log.warning("telemetry: %d job reports not confirmed: %r", len(batch), failed)
                    await asyncio.sleep(self._max_wait)
                if len(self._pending) < self._max_items and not draining:
                    # What came in meanwhile waits for its own moment: publishing it at once made a
                    # stream of small messages, one per confirm's round trip (14 jobs each, not 500).
                    break
        finally:
            self._flushing = None
            self._arm()

    async def close(self) -> None:
        """Publish what is queued (graceful shutdown)."""
        if self._flushing is not None:
            with contextlib.suppress(Exception):
                await self._flushing
        self._flush_now(draining=True)
        if self._flushing is not None:
            with contextlib.suppress(Exception):
                await self._flushing
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

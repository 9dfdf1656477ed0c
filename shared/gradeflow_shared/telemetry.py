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

from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import JobObserved, JobsObserved

log = logging.getLogger(__name__)
_UNTRACED = contextvars.Context()


class Telemetry:
    def __init__(
        self, publisher: Publisher, max_wait: float = 0.05, max_items: int = 500, max_pending: int = 20_000
    ) -> None:
        self._publisher = publisher
        self._max_wait = max_wait
        self._max_items = max_items
        self._max_pending = max_pending
        self._pending: list[JobObserved] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self.dropped = 0

    def report(self, observed: JobObserved) -> None:
        """Queue `observed`; it goes out within `max_wait` (sooner once `max_items` are queued)."""
        if len(self._pending) >= self._max_pending:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("telemetry: broker not keeping up, %d job reports dropped", self.dropped)
            return
        self._pending.append(observed)
        if self._flushing is not None:
            return  # the flush in progress takes these next
        if len(self._pending) >= self._max_items:
            self._flush_now()
        elif self._timer is None:
            # In a context of its own: a report is no part of the trace of the job that queued it.
            self._timer = asyncio.get_running_loop().call_later(
                self._max_wait, self._flush_now, context=_UNTRACED
            )

    def _flush_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushing is None and self._pending:
            self._flushing = asyncio.get_running_loop().create_task(self._flush(), context=_UNTRACED)

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._max_items], self._pending[self._max_items :]
                report = JobsObserved(jobs=tuple(batch))
                message = message_for(report.model_dump_json().encode(), Envelope.for_event(report))
                [failed] = await self._publisher.publish_many([(message, report.type)])
                if failed is not None:
                    # Not retried: the broker is likely down, and reports are worth less than work.
                    self.dropped += len(batch)
                    log.warning("telemetry: %d job reports not confirmed: %r", len(batch), failed)
                    await asyncio.sleep(self._max_wait)
        finally:
            self._flushing = None

    async def close(self) -> None:
        """Publish what is queued (graceful shutdown)."""
        if self._flushing is not None:
            with contextlib.suppress(Exception):
                await self._flushing
        self._flush_now()
        if self._flushing is not None:
            with contextlib.suppress(Exception):
                await self._flushing

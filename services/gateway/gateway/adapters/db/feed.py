"""Submissions, live: the read model's every move (queued → running → graded) is announced by
NOTIFY in the transaction that makes it; each gateway replica reads a moved submission once, on
its listening connection, and hands the row to every stream it holds for it (no pool connection
per stream). After the listening connection was lost and made again, or a read failed, the
streams are told to read for themselves (None).

Runs, done: a run's result is announced the same way; a request waiting for it (Judge0's
`wait=true`, Jobe's runs) is woken to read it once, instead of reading its row again and again."""

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import asyncpg

from gateway.domain.errors import Overloaded
from gradeflow_shared.listening import PgListener, Streams

log = logging.getLogger(__name__)
SUBMISSIONS_CHANNEL = "gateway_submissions"
RUNS_CHANNEL = "gateway_runs"
FEED_NAME = "gradeflow-gateway-feed"
RUNS_FEED_NAME = "gradeflow-gateway-runs"
_ROW = (
    "SELECT s.*, a.course_id FROM gateway.submissions s JOIN gateway.assignments a ON a.id = s.assignment_id"
    " WHERE s.id = $1::uuid"
)
Moves = asyncio.Queue[Any]  # the submission's row as it is now, or None: read it yourself


class PgSubmissionFeed:
    def __init__(self, database_url: str, max_streams: int) -> None:
        self._listener = PgListener(
            database_url, SUBMISSIONS_CHANNEL, self._on_notice, self._all_changed, FEED_NAME
        )
        refusal = functools.partial(
            Overloaded, f"this gateway holds {max_streams} live streams already; retry shortly"
        )
        self._streams: Streams[Any] = Streams(max_streams, refusal, queue_size=1)
        self._reads: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def subscribe(self, submission_id: UUID) -> AsyncIterator[Moves]:
        """The submission's row after each move (several moves may come as the latest one)."""
        with self._streams.holding(str(submission_id)) as moves:
            yield moves

    def _on_notice(self, payload: str) -> None:
        if payload in self._streams:
            task = asyncio.create_task(self._hand_out(payload))
            self._reads.add(task)
            task.add_done_callback(self._reads.discard)

    async def _hand_out(self, submission_id: str) -> None:
        try:
            rows = await self._listener.fetch(_ROW, submission_id)
            row: Any = SimpleNamespace(**dict(rows[0])) if rows else None
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("submission feed: could not read a moved submission (%s)", exc)
            row = None
        for changed in self._streams.of(submission_id):
            _offer(changed, row)

    def _all_changed(self) -> None:
        for changed in self._streams.every():
            _offer(changed, None)

    async def run(self) -> None:
        await self._listener.run()

    def stop(self) -> None:
        self._listener.stop()


def _offer(changed: Moves, row: Any) -> None:
    """The latest only: a row waiting unread is replaced (None, read yourself, wins over a row)."""
    if not changed.empty():
        waiting = changed.get_nowait()
        row = None if waiting is None else row
    changed.put_nowait(row)


class PgRunFeed:
    """Wakes the requests waiting for a run when its result is recorded (NOTIFY on RUNS_CHANNEL,
    any replica's); all of them after the listening connection was made again (a notice may have
    been missed)."""

    def __init__(self, database_url: str) -> None:
        self._listener = PgListener(
            database_url, RUNS_CHANNEL, self._on_notice, self._all_changed, RUNS_FEED_NAME
        )
        self._waiting: dict[str, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def subscribe(self, run_id: UUID) -> Iterator[asyncio.Event]:
        """An event set when the run may be done: read it then (and clear the event)."""
        key, done = str(run_id), asyncio.Event()
        self._waiting.setdefault(key, set()).add(done)
        try:
            yield done
        finally:
            waiters = self._waiting.get(key, set())
            waiters.discard(done)
            if not waiters:
                self._waiting.pop(key, None)

    def _on_notice(self, payload: str) -> None:
        for done in self._waiting.get(payload, ()):
            done.set()

    def _all_changed(self) -> None:
        for waiters in self._waiting.values():
            for done in waiters:
                done.set()

    async def run(self) -> None:
        await self._listener.run()

    def stop(self) -> None:
        self._listener.stop()

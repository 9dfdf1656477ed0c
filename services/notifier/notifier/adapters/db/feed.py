"""New inbox rows, live: PostgreSQL's LISTEN/NOTIFY tells every notifier replica which user got
which notification (the chunk's statement notifies, and a notice is sent only when it commits), and
each replica reads the rows of the users it holds streams for — one query a notice, however many
streams — and hands each stream its own. A stream that may have missed news — its queue
overflowed, or the listening connection was lost and made again — is told to catch up from the
database instead (`None` on its queue)."""

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import asyncpg

from gradeflow_shared.listening import PgListener, Streams
from notifier.domain.errors import TooManyStreams

log = logging.getLogger(__name__)
FEED_CHANNEL = "notifier_inbox"
FEED_NAME = "gradeflow-notifier-feed"  # the listening connection's application_name
Updates = asyncio.Queue[list[Any] | None]  # new notifications (rows), or None: catch up
_ROWS = (
    "SELECT id, user_id, kind, title, body, data, category, priority, created_at, read_at"
    " FROM notifier.notifications WHERE id = ANY($1::uuid[]) ORDER BY created_at, id"
)


class PgInboxFeed:
    QUEUE_SIZE = 256  # notices a slow stream may have waiting before it is told to catch up

    def __init__(self, database_url: str, max_streams: int) -> None:
        self._listener = PgListener(
            database_url, FEED_CHANNEL, self._on_notice, self._catch_up_all, FEED_NAME
        )
        refusal = functools.partial(
            TooManyStreams, f"this replica holds {max_streams} live streams already; retry shortly"
        )
        self._streams: Streams[list[Any] | None] = Streams(max_streams, refusal, self.QUEUE_SIZE)
        self._reads: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def subscribe(self, user_id: UUID) -> AsyncIterator[Updates]:
        with self._streams.holding(str(user_id)) as updates:  # keyed as notices name users
            yield updates

    def _on_notice(self, payload: str) -> None:
        if not self._streams:
            return
        wanted = [n for user, _, n in (p.partition(":") for p in payload.split(",")) if user in self._streams]
        if wanted:
            task = asyncio.create_task(self._hand_out(wanted))
            self._reads.add(task)
            task.add_done_callback(self._reads.discard)

    async def _hand_out(self, ids: list[str]) -> None:
        try:
            rows = [SimpleNamespace(**dict(r)) for r in await self._listener.fetch(_ROWS, ids)]
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("inbox feed: could not read a notice's rows (%s): streams catch up", exc)
            self._catch_up_all()  # the streams read what they missed themselves
            return
        news: dict[str, list[Any]] = {}
        for row in rows:
            news.setdefault(str(row.user_id), []).append(row)
        for user, own in news.items():
            for updates in self._streams.of(user):
                _offer(updates, own)

    def _catch_up_all(self) -> None:
        for updates in self._streams.every():
            _offer(updates, None)

    async def run(self) -> None:
        await self._listener.run()

    def stop(self) -> None:
        self._listener.stop()


def _offer(updates: Updates, rows: list[Any] | None) -> None:
    try:
        updates.put_nowait(rows)
    except asyncio.QueueFull:  # a stream behind: it reads what it missed from the database
        while not updates.empty():
            updates.get_nowait()
        updates.put_nowait(None)

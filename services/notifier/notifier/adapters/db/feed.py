"""New inbox rows, live: PostgreSQL's LISTEN/NOTIFY tells every notifier replica which user got
which notification (the chunk's statement notifies, and a notice is sent only when it commits), and
each replica hands the news to the streams it holds open for those users. A stream that may have
missed news — its queue overflowed, or the listening connection was lost and made again — is told
to catch up from the database instead (`None` on its queue)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy.engine import make_url

from notifier.domain.errors import TooManyStreams

log = logging.getLogger(__name__)
FEED_CHANNEL = "notifier_inbox"
Updates = asyncio.Queue[list[str] | None]  # notification ids, or None: catch up


class PgInboxFeed:
    QUEUE_SIZE = 256  # notices a slow stream may have waiting before it is told to catch up

    def __init__(self, database_url: str, max_streams: int, reconnect_seconds: float = 1.0) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._max = max_streams
        self._reconnect = reconnect_seconds
        self._streams: dict[str, set[Updates]] = {}  # by the user's id as text, as notices carry it
        self._open = 0
        self._stopping = asyncio.Event()
        self.listening = False

    @property
    def open_streams(self) -> int:
        return self._open

    @contextlib.asynccontextmanager
    async def subscribe(self, user_id: UUID) -> AsyncIterator[Updates]:
        if self._open >= self._max:
            raise TooManyStreams(f"this replica holds {self._max} live streams already; retry shortly")
        key, updates = str(user_id), Updates(self.QUEUE_SIZE)
        self._streams.setdefault(key, set()).add(updates)
        self._open += 1
        try:
            yield updates
        finally:
            self._open -= 1
            held = self._streams[key]
            held.discard(updates)
            if not held:
                del self._streams[key]

    def _on_notice(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if not self._streams:
            return
        news: dict[str, list[str]] = {}
        for pair in payload.split(","):
            user, _, notification = pair.partition(":")
            if user in self._streams:
                news.setdefault(user, []).append(notification)
        for user, ids in news.items():
            for updates in self._streams[user]:
                _offer(updates, ids)

    def _catch_up_all(self) -> None:
        for held in self._streams.values():
            for updates in held:
                _offer(updates, None)

    async def run(self) -> None:
        while not self._stopping.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self._dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(FEED_CHANNEL, self._on_notice)
                self.listening = True
                self._catch_up_all()  # what was written while no one listened
                stopping = asyncio.create_task(self._stopping.wait())
                gone = asyncio.create_task(lost.wait())
                await asyncio.wait({stopping, gone}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                gone.cancel()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("inbox feed: not listening (%s); again in %.0f s", exc, self._reconnect)
            finally:
                self.listening = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 2)
            if not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._reconnect)

    def stop(self) -> None:
        self._stopping.set()


def _offer(updates: Updates, ids: list[str] | None) -> None:
    try:
        updates.put_nowait(ids)
    except asyncio.QueueFull:  # a stream behind: it reads what it missed from the database
        while not updates.empty():
            updates.get_nowait()
        updates.put_nowait(None)

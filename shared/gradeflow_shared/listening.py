"""PostgreSQL LISTEN on one connection of the service's own, kept up: every notice on the channel
goes to `on_notice` (NOTIFY is sent only when the writing transaction commits, so a notice names
what is there to read); after the connection is made — first, or again after it was lost, when
notices may have been missed — `on_connected` is called, so that whoever relies on the notices
catches up. Queries on the connection (`fetch`) run one at a time: asyncpg refuses two at once."""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
T = TypeVar("T")


class PgListener:
    def __init__(
        self,
        database_url: str,
        channel: str,
        on_notice: Callable[[str], None],
        on_connected: Callable[[], None],
        name: str,
        reconnect_seconds: float = 1.0,
    ) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._channel, self._name = channel, name
        self._on_notice, self._on_connected = on_notice, on_connected
        self._reconnect = reconnect_seconds
        self._conn: asyncpg.Connection | None = None
        self._reading = asyncio.Lock()
        self._stopping = asyncio.Event()

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """Rows of `query` on the listening connection; raises if it is not connected."""
        conn = self._conn
        if conn is None:
            raise asyncpg.InterfaceError("not listening")
        async with self._reading:
            return list(await conn.fetch(query, *args))

    async def run(self) -> None:
        while not self._stopping.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self._dsn, server_settings={"application_name": self._name})
                await conn.set_type_codec(
                    "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
                )
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(
                    self._channel, lambda _c, _pid, _ch, payload: self._on_notice(payload)
                )
                self._conn = conn
                self._on_connected()
                stopping = asyncio.create_task(self._stopping.wait())
                gone = asyncio.create_task(lost.wait())
                await asyncio.wait({stopping, gone}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                gone.cancel()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("%s: not listening (%s); again in %.0f s", self._name, exc, self._reconnect)
            finally:
                self._conn = None
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 2)
            if not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._reconnect)

    def stop(self) -> None:
        self._stopping.set()


class Streams(Generic[T]):
    """The live streams a process holds, each a queue under a key (a user, a submission), at most
    `bound` at once: past it, `refusal()` is raised. What a notice names is handed to its key's
    queues; after a lost connection, to all of them."""

    def __init__(self, bound: int, refusal: Callable[[], Exception], queue_size: int) -> None:
        self._bound, self._refusal, self._size = bound, refusal, queue_size
        self._held: dict[str, set[asyncio.Queue[T]]] = {}
        self._open = 0

    @contextlib.contextmanager
    def holding(self, key: str) -> Iterator[asyncio.Queue[T]]:
        if self._open >= self._bound:
            raise self._refusal()
        queue: asyncio.Queue[T] = asyncio.Queue(self._size)
        self._held.setdefault(key, set()).add(queue)
        self._open += 1
        try:
            yield queue
        finally:
            self._open -= 1
            held = self._held[key]
            held.discard(queue)
            if not held:
                del self._held[key]

    def __bool__(self) -> bool:
        return bool(self._held)

    def __contains__(self, key: str) -> bool:
        return key in self._held

    def of(self, key: str) -> Iterable[asyncio.Queue[T]]:
        return self._held.get(key, ())

    def every(self) -> Iterator[asyncio.Queue[T]]:
        for held in self._held.values():
            yield from held

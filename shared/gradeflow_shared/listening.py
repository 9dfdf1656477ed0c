"""PostgreSQL LISTEN on one connection of the service's own, kept up: every notice on the channel
goes to `on_notice` (NOTIFY is sent only when the writing transaction commits, so a notice names
what is there to read); after the connection is made — first, or again after it was lost, when
notices may have been missed — `on_connected` is called, so that whoever relies on the notices
catches up. Queries on the connection (`fetch`) run one at a time: asyncpg refuses two at once."""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


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

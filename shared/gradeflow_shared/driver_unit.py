"""The unit of work on the database driver (asyncpg) itself, for a hot path that writes in batches.

Same contract as `unit_of_work.SqlUnitOfWork` — one transaction, the repositories on it, events
staged for the outbox and written by the commit, the inbox claimed in it, rolled back unless
committed, the relay woken after a commit that staged events — on a connection of the service's
own pool, with statements sent through asyncpg without SQLAlchemy's layers, whose session,
execution contexts and results cost about as much CPU as the statements themselves (`make
bench-units`: this unit takes 0.53-0.64 of the SQL unit's CPU for the same work). Use it where
a unit runs hundreds of times a second; everywhere else the SQLAlchemy unit's expressiveness is
worth its cost.

Errors come as asyncpg's own (`DRIVER_CONSTRAINT_ERRORS` for a row the database refuses); a
connection the database dropped is invalidated in the pool and raises `Unavailable`.
"""

import functools
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

import asyncpg
from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

from gradeflow_shared.errors import Unavailable
from gradeflow_shared.outbox import outbox_rows
from gradeflow_shared.unit_of_work import EventStage

R = TypeVar("R")

# A row refused by a constraint or a value the column cannot hold: what a batch is split on.
DRIVER_CONSTRAINT_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.DataError,
)
# The connection, not the statement, failed: the unit is retried by the caller, not split.
_CONNECTION_ERRORS = (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError)


# The outbox's columns as the stage statement takes them (headers last: JSON text, cast to jsonb).
_OUTBOX_COLUMNS = ("id", "routing_key", "message_type", "correlation_id", "body", "headers")


@functools.cache
def _statements(outbox: str, inbox: str) -> dict[str, str]:
    return {
        "stage": (
            f"INSERT INTO {outbox} ({', '.join(_OUTBOX_COLUMNS)})"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],"
            " CAST($6::text[] AS jsonb[]))"
        ),
        "claim_all": (
            f"INSERT INTO {inbox} (message_id, queue) SELECT DISTINCT unnest($1::text[]), $2::text"
            " ON CONFLICT DO NOTHING RETURNING message_id"
        ),
        "seen": f"SELECT 1 FROM {inbox} WHERE message_id = $1",
    }


class DriverUnitOfWork(EventStage, Generic[R]):
    def __init__(self, conn: asyncpg.Connection, repos: R, outbox: Table, inbox: Table) -> None:
        super().__init__()
        self._conn = conn
        self._repos = repos
        self._sql = _statements(outbox.fullname, inbox.fullname)
        self._transaction = conn.transaction()
        self.ended = False  # committed, or its COMMIT failed (which ends a transaction too)

    @property
    def repos(self) -> R:
        return self._repos

    async def begin(self) -> None:
        await self._transaction.start()

    async def claim(self, message_id: str, queue: str) -> bool:
        return bool(await self.claim_all([message_id], queue))

    async def claim_all(self, message_ids: Sequence[str], queue: str) -> set[str]:
        rows = await self._conn.fetch(self._sql["claim_all"], list(message_ids), queue)
        return {row["message_id"] for row in rows}

    async def seen(self, message_id: str) -> bool:
        return await self._conn.fetchval(self._sql["seen"], message_id) is not None

    async def commit(self) -> None:
        rows = [row for _, row in outbox_rows(self._take_staged())]
        if rows:
            # The rows stage_events writes, as one array a column: one statement, prepared once.
            columns = [[row[c] for row in rows] for c in _OUTBOX_COLUMNS]
            columns[-1] = [json.dumps(headers) for headers in columns[-1]]
            await self._conn.execute(self._sql["stage"], *columns)
        self.ended = True
        await self._transaction.commit()
        self.published = self.published or bool(rows)

    async def rollback(self) -> None:
        if not self.ended:
            await self._transaction.rollback()


@dataclass(frozen=True)
class DriverUnitsOfWork(Generic[R]):
    """Opens driver units of work on the service's engine's pool: `async with units() as uow:`."""

    engine: AsyncEngine
    repos: Callable[[asyncpg.Connection], R]
    outbox: Table
    inbox: Table
    wake_relay: Callable[[], None] = lambda: None

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[DriverUnitOfWork[R]]:
        try:
            pooled = await self.engine.connect()
        except (OSError, DBAPIError, PoolTimeout) as e:
            raise Unavailable("the database is unavailable") from e
        uow: DriverUnitOfWork[R] | None = None
        try:
            raw = await pooled.get_raw_connection()
            conn: asyncpg.Connection = raw.driver_connection
            uow = DriverUnitOfWork(conn, self.repos(conn), self.outbox, self.inbox)
            await uow.begin()
            try:
                yield uow
            finally:
                await uow.rollback()  # a no-op once committed (or refused at COMMIT)
        except _CONNECTION_ERRORS as e:
            await pooled.invalidate()  # not back into the pool: the next unit gets a new one
            raise Unavailable("the database is unavailable") from e
        finally:
            await pooled.close()  # back to the pool (nothing of ours left open on it)
        if uow is not None and uow.published:
            self.wake_relay()

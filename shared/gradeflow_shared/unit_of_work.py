"""One unit of work per HTTP request or message: the only way a use case touches the database.

It holds one transaction and the service's repositories on it, stages events for the outbox, claims
the inbox (a redelivery is a no-op), and commits them together; it wakes the outbox relay after a
commit that staged events, and rolls back unless committed, so nothing is ever published for
rolled-back state. Use cases see the `UnitOfWork` protocol only: unit tests hand them a fake.
"""

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sqlalchemy import Table, TextClause, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.batching import Batcher
from gradeflow_shared.db import SessionFactory
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.errors import Unavailable
from gradeflow_shared.events import Event
from gradeflow_shared.outbox import stage_events
from gradeflow_shared.topology import Route

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
E = TypeVar("E", bound=Event)


class UnitOfWork(Protocol[R_co]):
    @property
    def repos(self) -> R_co:
        """The service's repositories, all on this unit's transaction."""
        ...

    async def claim(self, message_id: str, queue: str) -> bool:
        """Record `message_id` as handled, with this commit; False if it already was."""
        ...

    async def claim_all(self, message_ids: Sequence[str], queue: str) -> set[str]:
        """Record each of `message_ids` as handled, with this commit: those that were not yet."""
        ...

    async def seen(self, message_id: str) -> bool:
        """Whether `message_id` was claimed already: lets a costly handler skip a redelivery early."""
        ...

    def add_event(self, event: Event, correlation_id: str | None = None) -> None:
        """Stage `event`: written to the outbox by the commit, published only if it commits."""
        ...

    @property
    def staged(self) -> bool:
        """Whether events are staged for the commit."""
        ...

    async def commit(self) -> None: ...


UnitsOfWork = Callable[[], AbstractAsyncContextManager[UnitOfWork[R]]]


@functools.cache
def _claim_all_statement(inbox: Table) -> TextClause:
    return text(
        f"INSERT INTO {inbox.fullname} (message_id, queue)"
        " SELECT DISTINCT unnest(CAST(:ids AS text[])), CAST(:queue AS text)"
        " ON CONFLICT DO NOTHING RETURNING message_id"
    )


class EventStage:
    """The events a unit of work has staged, written to the outbox by its commit (both kinds of
    unit: this module's and driver_unit.py's)."""

    def __init__(self) -> None:
        self._staged: list[tuple[Event, str | None]] = []
        self.published = False  # a commit wrote events to the outbox

    def add_event(self, event: Event, correlation_id: str | None = None) -> None:
        self._staged.append((event, correlation_id))

    @property
    def staged(self) -> bool:
        return bool(self._staged)

    def _take_staged(self) -> list[tuple[Event, str | None]]:
        """What the commit writes; staged again only by a later add_event."""
        staged, self._staged = self._staged, []
        return staged


class SqlUnitOfWork(EventStage, Generic[R]):
    def __init__(self, session: AsyncSession, repos: R, outbox: Table, inbox: Table) -> None:
        super().__init__()
        self._session = session
        self._repos = repos
        self._outbox = outbox
        self._inbox = inbox

    @property
    def repos(self) -> R:
        return self._repos

    async def claim(self, message_id: str, queue: str) -> bool:
        result = await self._session.execute(
            pg_insert(self._inbox)
            .values(message_id=message_id, queue=queue)
            .on_conflict_do_nothing()
            .returning(self._inbox.c.message_id)
        )
        return result.first() is not None

    async def claim_all(self, message_ids: Sequence[str], queue: str) -> set[str]:
        # The ids as one array: one statement, compiled once, whatever the batch's size.
        claimed = await self._session.execute(
            _claim_all_statement(self._inbox), {"ids": list(message_ids), "queue": queue}
        )
        return {row.message_id for row in claimed}

    async def seen(self, message_id: str) -> bool:
        inbox = self._inbox
        found = await self._session.execute(
            select(inbox.c.message_id).where(inbox.c.message_id == message_id)
        )
        return found.first() is not None

    async def commit(self) -> None:
        staged = self._take_staged()
        if staged:
            await stage_events(self._session, self._outbox, staged)
        await self._session.commit()
        self.published = self.published or bool(staged)


@dataclass(frozen=True)
class SqlUnitsOfWork(Generic[R]):
    """Opens units of work on a service's database: `async with units() as uow: ...`."""

    sessions: SessionFactory
    repos: Callable[[AsyncSession], R]
    outbox: Table
    inbox: Table
    wake_relay: Callable[[], None] = lambda: None

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[SqlUnitOfWork[R]]:
        # Closing the session rolls back whatever was not committed.
        async with self.sessions() as session:
            try:
                await session.connection()
            except (OSError, DBAPIError, PoolTimeout) as e:
                raise Unavailable("the database is unavailable") from e
            uow = SqlUnitOfWork(session, self.repos(session), self.outbox, self.inbox)
            yield uow
        if uow.published:
            self.wake_relay()


def claimed(
    units: UnitsOfWork[R],
    route: Route,
    use_case: Callable[[UnitOfWork[R], E, Envelope], Awaitable[None]],
) -> Callable[[E, Envelope], Awaitable[None]]:
    """A message handler that runs `use_case` in one unit of work which first claims the message
    in the inbox, then commits: a redelivered message is a no-op."""

    async def handle(event: E, envelope: Envelope) -> None:
        async with units() as uow:
            if await uow.claim(envelope.message_id, route.queue):
                await use_case(uow, event, envelope)
                await uow.commit()

    return handle


def claimed_together(
    units: UnitsOfWork[R],
    route: Route,
    use_case: Callable[[UnitOfWork[R], E, Envelope], Awaitable[None]],
    max_items: int = 100,
    concurrency: int = 2,
) -> Callable[[E, Envelope], Awaitable[None]]:
    """`claimed` for messages that come many at a time (the grader's progress and results into a
    read model): the messages in hand are handled in one unit of work — one claim statement for
    them all, `use_case` for each one not claimed before, one commit — so each costs the database
    its own statements only, not a transaction and an inbox insert besides. A lone message goes at
    once; while `concurrency` batches are being written, more gather into the next (batching.py).
    Each message's handler returns once its batch has committed, so it is acked only then.

    If a batch fails, each of its messages is handled again alone, so only the one at fault fails
    (and is retried or dead-lettered by the settling middleware); the others commit. A database
    that is unavailable fails the whole batch without that: alone, each would fail the same way."""
    return _together(units, use_case, route.queue, max_items, concurrency)


def idempotent_together(
    units: UnitsOfWork[R],
    use_case: Callable[[UnitOfWork[R], E, Envelope], Awaitable[None]],
    max_items: int = 100,
    concurrency: int = 2,
) -> Callable[[E, Envelope], Awaitable[None]]:
    """`claimed_together` without the claim, for a use case that is idempotent by itself: it only
    moves state forward (a status that never goes back) or writes rows under ids derived from the
    message, and stages no events. Handled again, such a message changes nothing, so the inbox
    would cost a statement and a row for each message and protect nothing."""
    return _together(units, use_case, None, max_items, concurrency)


def _together(
    units: UnitsOfWork[R],
    use_case: Callable[[UnitOfWork[R], E, Envelope], Awaitable[None]],
    claim_on: str | None,
    max_items: int,
    concurrency: int,
) -> Callable[[E, Envelope], Awaitable[None]]:
    async def write(items: list[tuple[E, Envelope]]) -> None:
        async with units() as uow:
            ids = [envelope.message_id for _, envelope in items]
            fresh = set(ids) if claim_on is None else await uow.claim_all(ids, claim_on)
            if not fresh:
                return  # all redeliveries: nothing to commit
            for event, envelope in items:
                if envelope.message_id in fresh:
                    fresh.discard(envelope.message_id)  # the same message twice in a batch: once
                    await use_case(uow, event, envelope)
            if claim_on is None and uow.staged:
                raise RuntimeError(
                    "a use case handled without a claim staged events: it would publish them again"
                )
            await uow.commit()

    batcher: Batcher[tuple[E, Envelope], None] = Batcher(
        write,
        max_items=max_items,
        max_wait=0,
        concurrency=concurrency,
        split_on=(Exception,),
        keep_whole=(Unavailable,),
    )

    async def handle(event: E, envelope: Envelope) -> None:
        await batcher.add((event, envelope))

    return handle

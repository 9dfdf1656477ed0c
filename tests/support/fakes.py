"""In-memory fakes for unit tests: a unit of work with the semantics of the real one (events and
inbox claims take effect only on commit; a unit left uncommitted leaves nothing), a clock, and a
scripted sandbox, a recording publisher and in-memory delivery. Each service's fake store is in tests/<service>/unit/fakes.py."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import aio_pika
from faststream.rabbit import TestRabbitBroker

from gradeflow_shared.broker import Publisher
from gradeflow_shared.events import Event
from gradeflow_shared.messaging import EVENTS, Messaging
from gradeflow_shared.topology import ROUTES

R = TypeVar("R")


@dataclass
class Published:
    event: Event
    correlation_id: str | None


class FakeUnitOfWork(Generic[R]):
    def __init__(self, owner: "FakeUnits[R]") -> None:
        self._owner = owner
        self._staged: list[Published] = []
        self._claims: set[str] = set()

    @property
    def repos(self) -> R:
        return self._owner.repos

    async def claim(self, message_id: str, queue: str) -> bool:
        if message_id in self._owner.inbox or message_id in self._claims:
            return False
        self._claims.add(message_id)
        return True

    async def claim_all(self, message_ids: Sequence[str], queue: str) -> set[str]:
        return {m for m in message_ids if await self.claim(m, queue)}

    async def seen(self, message_id: str) -> bool:
        return message_id in self._owner.inbox

    def add_event(self, event: Event, correlation_id: str | None = None) -> None:
        self._staged.append(Published(event, correlation_id))

    @property
    def staged(self) -> bool:
        return bool(self._staged)

    async def commit(self) -> None:
        self._owner.published += self._staged
        self._owner.inbox |= self._claims
        self._owner.commits += 1
        self._staged, self._claims = [], set()


@dataclass
class FakeUnits(Generic[R]):
    """Opens fake units of work on one in-memory store; what they committed is kept here."""

    repos: R
    published: list[Published] = field(default_factory=list)
    inbox: set[str] = field(default_factory=set)
    commits: int = 0
    opened: int = 0

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[FakeUnitOfWork[R]]:
        self.opened += 1
        yield FakeUnitOfWork(self)

    def events(self, kind: type[Event]) -> list[Any]:
        return [p.event for p in self.published if isinstance(p.event, kind)]


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def record(**fields: Any) -> Any:
    """A row-like record: attributes named as the table's columns."""
    return _Record(**fields)


class _Record:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"record({self.__dict__})"


class RecordingPublisher(Publisher):
    """A publisher that keeps what it is given instead of sending it: the settling middleware's
    retries, dead letters and telemetry, in unit tests that deliver messages in memory (`deliver`)."""

    def __init__(self) -> None:
        super().__init__("amqp://in-memory.invalid/")
        self.sent: list[tuple[str, aio_pika.Message]] = []

    async def connect(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish_many(
        self, messages: Sequence[tuple[aio_pika.Message, str]], to_queue: bool = False
    ) -> list[BaseException | None]:
        self.sent += [(routing_key, message) for message, routing_key in messages]
        return [None] * len(messages)

    def to(self, routing_key: str) -> list[aio_pika.Message]:
        return [m for key, m in self.sent if key == routing_key]


async def deliver(messaging: Messaging, routing_key: str, body: bytes, message_id: str) -> int:
    """Publish a message to the events exchange through FastStream's in-memory broker, which routes
    it to every subscriber bound to `routing_key` as the topic exchange would; how many there are."""
    subscribed = {sub.queue.name for sub in messaging.broker.subscribers}
    queues = [r.queue for r in ROUTES if r.routing_key == routing_key and r.queue in subscribed]
    async with TestRabbitBroker(messaging.broker) as broker:
        await broker.publish(
            body,
            exchange=EVENTS,
            routing_key=routing_key,
            message_id=message_id,
            message_type=routing_key,
            content_type="application/json",
        )
    return len(queues)

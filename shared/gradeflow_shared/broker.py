"""Broker kit: the publisher (confirmed, mandatory, persistent), the topology declaration, and
publishing an event with its envelope. The consuming side is FastStream's (messaging.py)."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol, cast

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection
from aio_pika.connection import make_url

from gradeflow_shared.envelope import H_OCCURRED_AT, H_PUBLISHED_AT, H_VERSION, Envelope
from gradeflow_shared.topology import EXCHANGE, ROUTES, QueueSpec, Route


class Publishable(Protocol):
    """What a publish sends: an aio-pika message, or an `Outgoing` built for the hot path."""

    @property
    def body(self) -> bytes: ...
    @property
    def properties(self) -> aiormq.spec.Basic.Properties: ...


class Outgoing(NamedTuple):
    """A message as the frames need it, its body and its AMQP properties (`relayed`)."""

    body: bytes
    properties: aiormq.spec.Basic.Properties


async def robust_connection(amqp_url: str, timeout: float) -> AbstractRobustConnection:
    """aio_pika.connect_robust, less its leak: a connection that fails to connect is closed here,
    not dropped unclosed (an outage would leave one behind per attempt)."""
    connection = aio_pika.RobustConnection(make_url(amqp_url))
    try:
        await connection.connect(timeout=timeout)
    except BaseException:
        await connection.close()
        raise
    return connection


async def declare_topology(
    amqp_url: str, retry_delays_ms: tuple[int, ...], routes: Sequence[Route] = ROUTES
) -> None:
    """Declare the exchange, every work queue with its binding, its delay tiers and its DLQ."""
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(EXCHANGE.name, type=EXCHANGE.type, durable=EXCHANGE.durable)
        for route in routes:
            for spec in (route.work_queue(), *route.side_queues(retry_delays_ms)):
                await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
            work = await channel.get_queue(route.queue, ensure=False)
            await work.bind(exchange, routing_key=route.routing_key)


async def declare_route(amqp_url: str, route: Route, retry_delays_ms: tuple[int, ...]) -> None:
    """Declare one route's queues and binding (a test's or a benchmark's own)."""
    await declare_topology(amqp_url, retry_delays_ms, (route,))


class Publisher:
    """Every publish of a service: persistent, mandatory (a returned message raises
    `DeliveryError`), confirmed within a timeout, on a channel of its own.

    Its own robust connection, apart from the consuming one: a channel closed by a broker restart
    could stay closed for good, and publishes on it hang or fail forever. Here any channel-level
    failure drops the channel, and the next publish opens a fresh one.
    """

    def __init__(self, amqp_url: str, timeout: float = 10.0) -> None:
        self._url = amqp_url
        self._timeout = timeout
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        if self._connection is None:
            self._connection = await robust_connection(self._url, self._timeout)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _channel_and_exchange(self) -> tuple[AbstractChannel, AbstractExchange]:
        async with self._lock:
            if self._channel is None or self._channel.is_closed or self._exchange is None:
                await self.connect()
                assert self._connection is not None
                self._channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
                self._exchange = await self._channel.get_exchange(EXCHANGE.name, ensure=False)
            return self._channel, self._exchange

    async def publish(self, message: Publishable, routing_key: str, to_queue: bool = False) -> None:
        [failed] = await self.publish_many([(message, routing_key)], to_queue)
        if failed is not None:
            raise failed

    async def publish_many(
        self, messages: Sequence[tuple[Publishable, str]], to_queue: bool = False
    ) -> list[BaseException | None]:
        """Publish (message, routing key) pairs at once, each confirmed; what failed for each (None:
        confirmed). One channel and one timeout for all: the outbox relay's batches cost a few
        frames per message, not a round of locks, tasks and timers each."""
        try:
            async with asyncio.timeout(self._timeout + 1):
                channel, exchange = await self._channel_and_exchange()
                # aiormq's channel class, whose publish takes `wait` (its abstract one's does not)
                underlay = cast(aiormq.Channel, await channel.get_underlay_channel())
                name = "" if to_queue else exchange.name  # "": the default exchange, by queue name
                results: list[BaseException | None] = await asyncio.gather(
                    *(self._confirmed(underlay, name, message, key) for message, key in messages),
                    return_exceptions=True,
                )
        except BaseException as e:
            self._channel = None  # whatever went wrong, the next publish starts on a new channel
            if not isinstance(e, Exception):
                raise
            return [e] * len(messages)
        # Unroutable (DeliveryError) says nothing of the channel; anything else drops it.
        if any(r is not None and not isinstance(r, aio_pika.exceptions.DeliveryError) for r in results):
            self._channel = None
        return results

    async def _confirmed(
        self, channel: aiormq.Channel, exchange: str, message: Publishable, key: str
    ) -> None:
        # What aio-pika's `Exchange.publish` does, less its wait for each message's frames to be
        # written out before the next may be queued (`wait=False`): a batch's publishes go out back
        # to back, about a third less CPU each (docs/benchmarks.md). Each is still confirmed; a
        # nack, or a return (mandatory), still raises DeliveryError (the channel's on_return_raises).
        await channel.basic_publish(
            message.body,
            exchange=exchange,
            routing_key=key,
            properties=message.properties,
            mandatory=True,
            timeout=self._timeout,
            wait=False,
        )


def message_for(body: bytes, envelope: Envelope, headers: dict[str, Any] | None = None) -> aio_pika.Message:
    """The AMQP message for an event's body and envelope: persistent, with its explicit id."""
    all_headers = {**envelope.headers(), **(headers or {})}
    all_headers[H_PUBLISHED_AT] = datetime.now(UTC).isoformat()
    return aio_pika.Message(
        body=body,
        headers=all_headers,
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=envelope.message_id,
        correlation_id=envelope.correlation_id,
        type=envelope.type,
    )


def relayed(
    message_id: str,
    message_type: str,
    correlation_id: str,
    body: bytes,
    headers: dict[str, Any],
    staged_at: datetime,
) -> Outgoing:
    """What `message_for` builds, for an event staged in an outbox: the staged headers (schema
    version and occurred-at among them) and the publish time, without the envelope model and
    aio-pika's message object around the properties (a relay builds one per row: 16 µs of CPU that
    way, 5 µs this way, of about 120 µs a row relayed; docs/benchmarks.md)."""
    all_headers = {H_VERSION: 1, H_OCCURRED_AT: staged_at.isoformat(), **headers}
    all_headers[H_PUBLISHED_AT] = datetime.now(UTC).isoformat()
    properties = aiormq.spec.Basic.Properties(
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message_id,
        correlation_id=correlation_id,
        message_type=message_type,
        headers=all_headers,
    )
    return Outgoing(body, properties)


async def publish_raw(
    publisher: Publisher,
    body: bytes,
    envelope: Envelope,
    routing_key: str,
    headers: dict[str, Any] | None = None,
    to_queue: str | None = None,
) -> None:
    """Publish persistent, confirmed and mandatory; to the events exchange, or straight to a queue."""
    message = message_for(body, envelope, headers)
    await publisher.publish(message, to_queue or routing_key, to_queue=to_queue is not None)


MIGRATING = ".migrating"  # a queue's messages wait here while it is declared again


async def migrate_queues(
    amqp_url: str, retry_delays_ms: tuple[int, ...], routes: Sequence[Route] = ROUTES
) -> list[str]:
    """Declare again, with the topology's arguments, each queue declared otherwise before (a
    classic retry tier or DLQ, a work queue without at-least-once dead-lettering): its messages
    are moved to `<queue>.migrating`, the queue deleted and declared anew, the messages moved back.
    A migration cut short is finished by the next one. Run with no consumer on these queues (the
    `migrate` step of a release, before the new consumers start: docs/reliability.md). Returns the
    queues declared again; the bindings are made again by `declare_topology`."""
    migrated = []
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        for route in routes:
            for spec in (route.work_queue(), *route.side_queues(retry_delays_ms)):
                if await _needs_migrating(connection, spec):
                    await _redeclare(connection, spec)
                    migrated.append(spec.name)
                await _move(connection, spec.name + MIGRATING, spec.name, delete=True)
    await declare_topology(amqp_url, retry_delays_ms, routes)
    return migrated


async def _needs_migrating(connection: aio_pika.abc.AbstractConnection, spec: QueueSpec) -> bool:
    """Whether the queue exists with other arguments (the broker refuses the declaration)."""
    channel = await connection.channel()
    try:
        await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
    except aiormq.exceptions.ChannelPreconditionFailed:
        return True
    await channel.close()
    return False


async def _redeclare(connection: aio_pika.abc.AbstractConnection, spec: QueueSpec) -> None:
    channel = await connection.channel()
    await channel.declare_queue(spec.name + MIGRATING, durable=True, arguments={"x-queue-type": "quorum"})
    await channel.close()
    await _move(connection, spec.name, spec.name + MIGRATING, delete=False)
    channel = await connection.channel()
    await channel.queue_delete(spec.name)
    await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
    await channel.close()


async def _move(connection: aio_pika.abc.AbstractConnection, source: str, target: str, delete: bool) -> int:
    """Every message of `source` into `target`, each acknowledged only once `target` has it."""
    channel = await connection.channel(publisher_confirms=True)
    try:
        queue = await channel.declare_queue(source, passive=True)
    except aiormq.exceptions.ChannelNotFoundEntity:
        return 0
    moved = 0
    while (message := await queue.get(no_ack=False, fail=False)) is not None:
        copy = aio_pika.Message(
            body=message.body,
            headers=message.headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            timestamp=message.timestamp,
            type=message.type,
            app_id=message.app_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await channel.default_exchange.publish(copy, routing_key=target)
        await message.ack()
        moved += 1
    if delete:
        await channel.queue_delete(source)
    await channel.close()
    return moved

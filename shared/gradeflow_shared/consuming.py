"""The consuming side of a service: one robust aio-pika connection, a channel per subscribed queue
with its own prefetch, each delivery handed to the consumer kit (consumer.py) and acked once
settled; stop lets in-flight handlers finish within a grace period.

Directly on aio-pika rather than through a framework: a framework's per-message dispatch
(context, dependency injection, middlewares) cost more CPU than the kit's own work, and the kit
needs none of it (docs/benchmarks.md, "Consumers"). aio-pika's robust connection reconnects after
a broker restart and restores each channel's prefetch and consumer.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from aio_pika.exceptions import ChannelInvalidStateError
from aiormq.abc import AbstractChannel as AmqpChannel
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from gradeflow_shared.broker import robust_connection

log = logging.getLogger(__name__)
Deliver = Callable[[AbstractIncomingMessage], Awaitable[None]]


class Acks:
    """Acks for one queue's deliveries, coalesced: the messages settled by the time the loop comes
    round are acked together, in one `multiple` frame up to the oldest still in hand (RabbitMQ then
    does one ack's work for them all), the rest one by one. A message is acked only once its
    handler returned; one whose handler never returned (cancelled at shutdown) is never covered by
    a `multiple` ack, so it is redelivered."""

    def __init__(self) -> None:
        self._channel: AmqpChannel | None = None
        self._unsettled: set[int] = set()  # received on the current channel, not yet settled
        self._received_upto = 0  # every tag up to this one has been received on the channel
        self._ahead: set[int] = set()  # received past a gap (not expected: deliveries are in order)
        self._settled: list[int] = []  # settled since the last flush
        self._flush_due = False
        self._sending: set[asyncio.Future[None]] = set()

    def received(self, message: AbstractIncomingMessage) -> None:
        channel = _channel_of(message)
        if channel is not self._channel:
            # A new channel (after a reconnect) numbers its deliveries afresh; what was in hand on
            # the old one cannot be acked any more and is redelivered by the broker.
            self._channel, self._unsettled, self._settled = channel, set(), []
            self._received_upto, self._ahead = 0, set()
        tag = message.delivery_tag or 0
        self._unsettled.add(tag)
        self._ahead.add(tag)
        while self._received_upto + 1 in self._ahead:
            self._received_upto += 1
            self._ahead.discard(self._received_upto)

    def settled(self, message: AbstractIncomingMessage) -> None:
        if self._channel is None or _channel_of(message) is not self._channel:
            return  # delivered on a channel since closed: the broker redelivers it
        tag = message.delivery_tag or 0
        self._unsettled.discard(tag)
        self._settled.append(tag)
        if not self._flush_due:
            self._flush_due = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._flush_due = False
        settled, self._settled = self._settled, []
        # A `multiple` ack covers every tag up to its own: only those all received and settled.
        limit = min(min(self._unsettled, default=self._received_upto + 1) - 1, self._received_upto)
        covered = [t for t in settled if t <= limit]
        if covered:
            self._send(max(covered), multiple=True)
        for tag in settled:
            if tag > limit:
                self._send(tag, multiple=False)

    async def drain(self) -> None:
        """Send what is settled now and wait until every ack has gone out."""
        self.flush()
        await asyncio.gather(*self._sending, return_exceptions=True)

    def _send(self, tag: int, multiple: bool) -> None:
        if self._channel is None or self._channel.is_closed:
            return  # closed since: the broker redelivers what it had not been told of
        task = asyncio.ensure_future(self._channel.basic_ack(tag, multiple=multiple))
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: "asyncio.Future[None]") -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The channel closed under it (a broker restart): the broker redelivers, the inbox
            # makes the repeat a no-op.
            log.warning("ack not sent: %s", task.exception())


def _channel_of(message: AbstractIncomingMessage) -> AmqpChannel | None:
    try:
        return message.channel
    except ChannelInvalidStateError:  # closed under the message (a broker restart)
        return None


@dataclass
class _Subscription:
    queue: str
    prefetch: int
    deliver: Deliver
    acks: Acks
    bound: AbstractQueue | None = None
    tag: str | None = None


class Consuming:
    """Subscriptions to queues (declared beforehand: broker.declare_topology) and their life."""

    def __init__(self, amqp_url: str, graceful_timeout: float = 20.0, connect_timeout: float = 10.0) -> None:
        self._url = amqp_url
        self._graceful_timeout = graceful_timeout
        self._connect_timeout = connect_timeout
        self._subscriptions: list[_Subscription] = []
        self._connection: AbstractRobustConnection | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()

    def subscribe(self, queue: str, prefetch: int, deliver: Deliver) -> None:
        """Before start: hand each message of `queue` to `deliver`, at most `prefetch` at once."""
        self._subscriptions.append(_Subscription(queue, prefetch, deliver, Acks()))

    def handlers(self) -> dict[str, Deliver]:
        """Queue → what its messages are handed to (an in-memory test delivers to these)."""
        return {sub.queue: sub.deliver for sub in self._subscriptions}

    def prefetches(self) -> dict[str, int]:
        """Queue → how many of its messages this process holds unacknowledged at most."""
        return {sub.queue: sub.prefetch for sub in self._subscriptions}

    async def start(self) -> None:
        self._connection = await robust_connection(self._url, self._connect_timeout)
        for sub in self._subscriptions:
            channel = await self._connection.channel()
            await channel.set_qos(prefetch_count=sub.prefetch)
            # Declared (passively) rather than looked up: only a declared queue is registered with
            # the robust channel, which consumes from it again after a reconnect.
            sub.bound = await channel.declare_queue(sub.queue, passive=True)
            sub.tag = await sub.bound.consume(self._callback(sub))

    def _callback(self, sub: _Subscription) -> Deliver:
        async def on_message(message: AbstractIncomingMessage) -> None:
            sub.acks.received(message)
            task = asyncio.current_task()
            assert task is not None  # aio-pika runs each delivery in a task of its own
            self._in_flight.add(task)
            self._idle.clear()
            try:
                await sub.deliver(message)  # settles every failure itself (consumer.py)
                sub.acks.settled(message)
            finally:
                self._in_flight.discard(task)
                if not self._in_flight:
                    self._idle.set()

        return on_message

    async def stop(self) -> None:
        """Stop taking messages; wait up to the grace period for those in hand, then cancel them
        (not acked: the broker redelivers them to another replica)."""
        for sub in self._subscriptions:
            if sub.bound is not None and sub.tag is not None:
                try:
                    await sub.bound.cancel(sub.tag)
                except Exception as exc:  # the channel is gone already: nothing more comes on it
                    log.warning("%s: cancelling the consumer failed: %s", sub.queue, exc)
                sub.tag = None
        if self._in_flight:
            try:
                await asyncio.wait_for(self._idle.wait(), self._graceful_timeout)
            except TimeoutError:
                running = len(self._in_flight)
                log.warning("%d handlers still running after the grace period: cancelled", running)
                for task in list(self._in_flight):
                    task.cancel()
        await asyncio.gather(*(sub.acks.drain() for sub in self._subscriptions))

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def queue_gauges(self) -> list[Metric]:
        """The depth (ready) and consumers of each queue this process consumes, asked of the
        broker when scraped (a passive declare on the queue's own channel: it exists)."""
        ready = GaugeMetricFamily(
            "gradeflow_queue_messages_ready", "Messages ready in the queue.", labels=["queue"]
        )
        consumers = GaugeMetricFamily(
            "gradeflow_queue_consumers", "Consumers of the queue.", labels=["queue"]
        )
        if not await self.ping():
            return [ready, consumers]  # the broker away: no series rather than a stale one
        for sub in self._subscriptions:
            if sub.bound is None:
                continue
            try:
                result = await asyncio.wait_for(sub.bound.declare(), 2)
            except Exception as exc:  # a scrape never fails for one queue
                log.info("%s: depth not read: %s", sub.queue, exc)
                continue
            ready.add_metric([sub.queue], result.message_count or 0)
            consumers.add_metric([sub.queue], result.consumer_count or 0)
        return [ready, consumers]

    async def ping(self) -> bool:
        """Readiness: connected (False while the broker is away; the robust connection reconnects
        by itself and restores every subscription's channel, prefetch and consumer)."""
        return self._connection is not None and self._connection.connected.is_set()

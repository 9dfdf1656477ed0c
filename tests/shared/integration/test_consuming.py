"""The consuming side against the real broker (FastStream with the settling middleware): every message
handled is acked and none other; a handler still running at shutdown is cancelled after the grace
period and its message redelivered; consuming resumes on its own after the broker drops the
connection; readiness follows the connection."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import aio_pika
import pytest

from gradeflow_shared.broker import Publisher, declare_route
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import GradingStarted
from gradeflow_shared.messaging import Messaging, MessagingPolicy, Mode
from gradeflow_shared.telemetry import Telemetry
from gradeflow_shared.topology import Route
from tests.support.infra import Infra, rabbitmqctl

pytestmark = pytest.mark.integration
DELAYS = (200,)


@pytest.fixture
async def route(infra: Infra) -> AsyncIterator[Route]:
    tag = uuid.uuid4().hex[:8]
    route = Route(f"consuming.probe-{tag}", f"consuming.probe.{tag}")
    await declare_route(infra.amqp_url, route, DELAYS)
    yield route
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        for spec in (route.work_queue(), *route.side_queues(DELAYS)):
            await channel.queue_delete(spec.name)


def _number(i: int) -> uuid.UUID:
    return uuid.UUID(int=i)


async def _fill(infra: Infra, queue: str, numbers: range) -> None:
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for i in numbers:
            body = GradingStarted(submission_id=_number(i), started_at=datetime.now(UTC)).model_dump_json()
            message = aio_pika.Message(
                body.encode(),
                message_id=str(i),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            await channel.default_exchange.publish(message, routing_key=queue)


async def _left(infra: Infra, queue: str) -> list[str]:
    """The ids of the messages still in `queue` (taken and acked: the queue is empty afterwards)."""
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        probe = await (await connection.channel()).get_queue(queue, ensure=False)
        left = []
        while (message := await probe.get(no_ack=True, fail=False)) is not None:
            left.append(str(message.message_id))
        return left


def _messaging(url: str, prefetch: int, graceful_timeout: float = 20) -> Messaging:
    publisher = Publisher(url)
    policy = MessagingPolicy(DELAYS, handler_timeout_seconds=3600, prefetch=prefetch)
    return Messaging.build(url, publisher, policy, Telemetry(publisher), graceful_timeout, connect_timeout=2)


async def test_every_handled_message_is_acked_and_the_one_still_running_is_redelivered(
    infra: Infra, route: Route
) -> None:
    await _fill(infra, route.queue, range(400))
    handled: list[int] = []
    hung = asyncio.Event()

    async def deliver(event: GradingStarted, envelope: Envelope) -> None:
        number = event.submission_id.int
        if number == 7:  # never returns by itself: still running at shutdown
            hung.set()
            await asyncio.sleep(3600)
        # Out of order on purpose: later deliveries settle before earlier ones.
        await asyncio.sleep(0.001 * (number % 5))
        handled.append(number)

    messaging = _messaging(infra.amqp_url, 32, graceful_timeout=0.5)
    messaging.add(route, GradingStarted, deliver, mode=Mode.OUTSIDE, report=False)
    await messaging.start()
    try:
        assert await messaging.ping()
        await asyncio.wait_for(hung.wait(), 10)
        await _until(lambda: len(handled) == 399)
        await messaging.stop()  # the hung handler is cancelled after the grace period
    finally:
        await messaging.close()
        await messaging.publisher.close()
    assert not await messaging.ping()
    assert sorted(handled) == [i for i in range(400) if i != 7]
    # Acked: every message handled; not acked: the one whose handler never returned.
    assert await _left(infra, route.queue) == ["7"]
    assert await _left(infra, route.dlq) == [] and await _left(infra, route.retry_queue(0)) == []


async def test_a_consumer_that_cannot_reach_the_broker_fails_to_start() -> None:
    messaging = _messaging("amqp://guest:guest@127.0.0.1:1/", 1)

    async def deliver(event: GradingStarted, envelope: Envelope) -> None:
        raise AssertionError("nothing is delivered")

    messaging.add(Route("nowhere", "nowhere"), GradingStarted, deliver, mode=Mode.OUTSIDE)
    with pytest.raises((ConnectionError, OSError)):
        await messaging.start()
    assert not await messaging.ping()


def _close_connections_named(name: str) -> int:
    """Close, from the broker's side, every connection the client named `name` (as a broker restart
    or a network cut would); how many."""
    listed = rabbitmqctl("list_connections", "--no-table-headers", "pid", "client_properties", timeout=60)
    pids = [line.split("\t")[0] for line in listed.splitlines() if f'{{"connection_name","{name}"}}' in line]
    for pid in pids:
        rabbitmqctl("close_connection", pid, "test: cut", timeout=60)
    return len(pids)


async def test_consuming_resumes_after_the_broker_drops_the_connection(infra: Infra, route: Route) -> None:
    name = f"consuming-test-{uuid.uuid4().hex[:8]}"
    handled: list[int] = []

    async def deliver(event: GradingStarted, envelope: Envelope) -> None:
        handled.append(event.submission_id.int)

    messaging = _messaging(f"{infra.amqp_url}?name={name}&reconnect_interval=0.5", 8)
    messaging.add(route, GradingStarted, deliver, mode=Mode.OUTSIDE, report=False)
    await messaging.start()
    try:
        await _fill(infra, route.queue, range(10))
        await _until(lambda: len(handled) >= 10)
        assert await asyncio.to_thread(_close_connections_named, name) == 1
        await _fill(infra, route.queue, range(10, 20))  # published while the consumer reconnects, or after
        await _until(lambda: len(handled) >= 20, timeout=30)
        assert await messaging.ping()
    finally:
        await messaging.close()
        await messaging.publisher.close()
    # At least once: a message in hand when the connection dropped may be handled twice.
    assert set(handled) == set(range(20))
    assert await _left(infra, route.queue) == [], "every message was acked, on the restored channel"


async def _until(done: Callable[[], bool], timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not done():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)

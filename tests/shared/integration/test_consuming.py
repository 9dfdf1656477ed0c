"""The consuming side against the real broker: coalesced acks settle every message handled and
none other; a handler still running at shutdown leaves its message to be redelivered; consuming
resumes on its own after the broker drops the connection; readiness follows the connection."""

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage

from gradeflow_shared.consuming import Consuming
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


@pytest.fixture
async def queue(infra: Infra) -> AsyncIterator[str]:
    name = f"consuming.probe-{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
    yield name
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        await (await connection.channel()).queue_delete(name)


async def _fill(infra: Infra, queue: str, n: int) -> None:
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for i in range(n):
            message = aio_pika.Message(
                str(i).encode(), message_id=str(i), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
            )
            await channel.default_exchange.publish(message, routing_key=queue)


async def _left(infra: Infra, queue: str) -> list[str]:
    """The messages still in `queue` (taken and acked: the queue is empty afterwards)."""
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        probe = await (await connection.channel()).get_queue(queue, ensure=False)
        left = []
        while (message := await probe.get(no_ack=True, fail=False)) is not None:
            left.append(message.body.decode())
        return left


async def test_every_handled_message_is_acked_and_the_one_still_running_is_redelivered(
    infra: Infra, queue: str
) -> None:
    await _fill(infra, queue, 400)
    handled: list[str] = []
    hung = asyncio.Event()

    async def deliver(message: AbstractIncomingMessage) -> None:
        body = message.body.decode()
        if body == "7":  # never returns by itself: still running at shutdown
            hung.set()
            await asyncio.sleep(3600)
        # Out of order on purpose: later deliveries settle before earlier ones.
        await asyncio.sleep(0.001 * (int(body) % 5))
        handled.append(body)

    consuming = Consuming(infra.amqp_url, graceful_timeout=0.5)
    consuming.subscribe(queue, 32, deliver)
    await consuming.start()
    try:
        assert await consuming.ping()
        await asyncio.wait_for(hung.wait(), 10)
        for _ in range(200):
            if len(handled) == 399:
                break
            await asyncio.sleep(0.05)
        await consuming.stop()  # the hung handler is cancelled after the grace period
    finally:
        await consuming.close()
    assert not await consuming.ping()
    assert sorted(handled, key=int) == [str(i) for i in range(400) if i != 7]
    # Acked: every message handled, however many a single `multiple` ack covered; not acked: the
    # one message whose handler never returned, though later tags were acked around it.
    assert await _left(infra, queue) == ["7"]


async def test_a_consumer_that_cannot_reach_the_broker_fails_to_start() -> None:
    consuming = Consuming("amqp://guest:guest@127.0.0.1:1/", connect_timeout=2)

    async def deliver(message: AbstractIncomingMessage) -> None:
        raise AssertionError("nothing is delivered")

    consuming.subscribe("nowhere", 1, deliver)
    with pytest.raises((ConnectionError, OSError)):
        await consuming.start()
    assert not await consuming.ping()


def _close_connections_named(name: str) -> int:
    """Close, from the broker's side, every connection the client named `name` (as a broker restart
    or a network cut would); how many."""
    listed = subprocess.run(
        ["rabbitmqctl", "list_connections", "-q", "--no-table-headers", "pid", "client_properties"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    pids = [line.split("\t")[0] for line in listed.splitlines() if f'{{"connection_name","{name}"}}' in line]
    for pid in pids:
        subprocess.run(["rabbitmqctl", "close_connection", pid, "test: cut"], check=True, timeout=60)
    return len(pids)


async def test_consuming_resumes_after_the_broker_drops_the_connection(infra: Infra, queue: str) -> None:
    name = f"consuming-test-{uuid.uuid4().hex[:8]}"
    handled: list[str] = []

    async def deliver(message: AbstractIncomingMessage) -> None:
        handled.append(message.body.decode())

    consuming = Consuming(f"{infra.amqp_url}?name={name}&reconnect_interval=0.5")
    consuming.subscribe(queue, 8, deliver)
    await consuming.start()
    try:
        await _fill(infra, queue, 10)
        await _until(lambda: len(handled) >= 10)
        assert await asyncio.to_thread(_close_connections_named, name) == 1
        await _fill(infra, queue, 10)  # published while the consumer reconnects, or after
        await _until(lambda: len(handled) >= 20, timeout=30)
        assert await consuming.ping()
    finally:
        await consuming.close()
    assert sorted(handled, key=int) == sorted([str(i) for i in range(10)] * 2, key=int)
    assert await _left(infra, queue) == [], "every message was acked, on the restored channel"


async def _until(done: Callable[[], bool], timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not done():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)

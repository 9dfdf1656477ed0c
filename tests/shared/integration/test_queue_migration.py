"""Queues declared as an earlier release declared them (classic retry tiers and DLQ, a work queue
without at-least-once dead-lettering), each holding messages, are declared again as the topology
says by `migrate_queues` on the real broker: every message is still there, once, and the
declarations now match (a second run finds nothing to do)."""

import aio_pika
import httpx
import pytest

from gradeflow_shared.broker import MIGRATING, migrate_queues
from gradeflow_shared.topology import Route
from tests.support.infra import Infra, management_url

pytestmark = pytest.mark.integration
DELAYS = (60_000, 120_000)
ROUTE = Route("grader.migration-test", "migration.test")


def _old_declarations(route: Route) -> list[tuple[str, dict[str, object]]]:
    return [
        (route.queue, {"x-queue-type": "quorum", "x-delivery-limit": 10, "x-dead-letter-exchange": "",
                       "x-dead-letter-routing-key": route.dlq}),
        *((route.retry_queue(i), {"x-queue-type": "classic", "x-message-ttl": d, "x-dead-letter-exchange": "",
                                   "x-dead-letter-routing-key": route.queue}) for i, d in enumerate(DELAYS)),
        (route.dlq, {"x-queue-type": "classic"}),
    ]  # fmt: skip


def _management(infra: Infra, queue: str) -> dict[str, object]:
    answer = httpx.get(f"{management_url()}/api/queues/{infra.vhost}/{queue}", auth=("guest", "guest"))
    answer.raise_for_status()
    data: dict[str, object] = answer.json()
    return data


async def test_queues_of_an_earlier_release_are_declared_again_with_their_messages(infra: Infra) -> None:
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for name, arguments in _old_declarations(ROUTE):
            await channel.declare_queue(name, durable=True, arguments=arguments)
            for i in range(3):
                message = aio_pika.Message(f"{name}-{i}".encode(), message_id=f"{name}-{i}", headers={"n": i})
                await channel.default_exchange.publish(message, routing_key=name)

    moved = await migrate_queues(infra.amqp_url, DELAYS, [ROUTE])
    assert sorted(moved) == sorted(name for name, _ in _old_declarations(ROUTE))
    for spec in (ROUTE.work_queue(), *ROUTE.side_queues(DELAYS)):
        declared = _management(infra, spec.name)
        assert declared["arguments"] == spec.arguments
        assert declared["type"] == "quorum"
    assert await migrate_queues(infra.amqp_url, DELAYS, [ROUTE]) == [], "nothing left to do"

    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        for name, _ in _old_declarations(ROUTE):
            queue = await channel.declare_queue(name, passive=True)
            found = []
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                found.append((message.message_id, message.body.decode(), message.headers["n"]))
            assert sorted(found) == [(f"{name}-{i}", f"{name}-{i}", i) for i in range(3)], name
            await channel.queue_delete(name)
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await channel.declare_queue(ROUTE.queue + MIGRATING, passive=True)

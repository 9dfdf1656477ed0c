"""Dead-letter operations on the broker: list (with the error), replay to the owning queue with the
retry count reset, purge. Messages looked at but not replayed go back to the DLQ untouched."""

import json

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from gradeflow_shared.envelope import H_ATTEMPTS, H_ERROR, H_RETRIES
from gradeflow_shared.topology import Route
from metrics.domain.dead_letters import DeadLetter


def _describe(message: AbstractIncomingMessage) -> DeadLetter:
    headers = {
        k: v if isinstance(v, str | int | float | bool) else str(v)
        for k, v in (message.headers or {}).items()
    }
    error = headers.get(H_ERROR)
    if error is None and "x-death" in (message.headers or {}):
        # Dead-lettered by the broker itself (the quorum queue's delivery limit), not by a consumer.
        error = "delivery limit reached (redelivered too often: a consumer crashed while holding it)"
    return DeadLetter(
        message_id=str(message.message_id),
        type=message.type,
        correlation_id=message.correlation_id,
        error=str(error) if error else None,
        attempts=json.loads(str(headers.get(H_ATTEMPTS, "[]"))),
        headers=headers,
        body=message.body.decode(errors="replace")[:4096],
    )


class DeadLetters:
    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url

    async def list(self, route: Route, limit: int = 100) -> tuple[int, list[DeadLetter]]:
        """(messages in the DLQ, up to `limit` of them described); nothing is removed."""
        connection = await aio_pika.connect(self._url, timeout=10)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(route.dlq, passive=True)
            total = queue.declaration_result.message_count or 0
            seen = []
            for _ in range(min(total, limit)):
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                seen.append(_describe(message))
            # Closing the channel returns every unacknowledged message to the DLQ.
        return total, seen

    async def replay(self, route: Route, message_id: str | None = None) -> int:
        """Move one message (by id) or all back to the owning work queue, retries reset."""
        connection = await aio_pika.connect(self._url, timeout=10)
        replayed = 0
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            queue = await channel.declare_queue(route.dlq, passive=True)
            for _ in range(queue.declaration_result.message_count or 0):
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                if message_id is not None and message.message_id != message_id:
                    continue  # left unacknowledged: back to the DLQ when the channel closes
                await channel.default_exchange.publish(_for_replay(message), routing_key=route.queue)
                await message.ack()
                replayed += 1
        return replayed

    async def purge(self, route: Route) -> int:
        connection = await aio_pika.connect(self._url, timeout=10)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(route.dlq, passive=True)
            result = await queue.purge()
            return int(result.message_count or 0)


def _for_replay(message: AbstractIncomingMessage) -> aio_pika.Message:
    headers = dict(message.headers or {})
    headers.pop(H_RETRIES, None)
    headers.pop("x-death", None)
    headers["x-replayed"] = True
    return aio_pika.Message(
        body=message.body,
        headers=headers,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        type=message.type,
    )

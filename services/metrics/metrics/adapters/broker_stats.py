"""Queue depth and consumer count, read from the broker by passive declaration (no management
plugin needed): a passive declare answers with the queue's message and consumer counts."""

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractRobustConnection


@dataclass(frozen=True)
class QueueState:
    depth: int
    consumers: int


class BrokerStats:
    def __init__(self, amqp_url: str) -> None:
        self._url = amqp_url
        self._connection: AbstractRobustConnection | None = None

    async def state(self, queue: str) -> QueueState | None:
        """None when the queue does not exist (yet) or the broker cannot be asked."""
        if self._connection is None or self._connection.is_closed:
            self._connection = await aio_pika.connect_robust(self._url, timeout=5)
        # A failed passive declare closes its channel, so each question gets its own.
        async with self._connection.channel() as channel:
            try:
                declared = await channel.declare_queue(queue, passive=True)
            except aio_pika.exceptions.ChannelClosed:
                return None
            result = declared.declaration_result
            return QueueState(depth=result.message_count or 0, consumers=result.consumer_count or 0)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()

"""The grading backlog, as the broker counts it: the messages waiting in the grader's queues,
looked up (a passive declare) once a second on a connection of its own, so that the gateway can
refuse new work at once when a queue is past its bound — what Judge0's MAX_QUEUE_SIZE does —
without a round trip per request. Unknown (the broker away): not full; the outbox keeps what is
accepted meanwhile."""

import asyncio
import contextlib
import logging

from aio_pika.abc import AbstractRobustConnection

from gradeflow_shared.broker import robust_connection

log = logging.getLogger(__name__)


class QueueBacklog:
    def __init__(self, amqp_url: str, bounds: dict[str, int], every_seconds: float = 1.0) -> None:
        self._url, self._bounds, self._every = amqp_url, bounds, every_seconds
        self.depths: dict[str, int] = {}
        self.consumers: dict[str, int] = {}
        self._stopping = asyncio.Event()

    def full(self, queue: str) -> bool:
        bound = self._bounds.get(queue, 0)
        return bound > 0 and self.depths.get(queue, 0) >= bound

    async def run(self) -> None:
        if not any(self._bounds.values()):
            return
        connection: AbstractRobustConnection | None = None
        try:
            while not self._stopping.is_set():
                try:
                    connection = connection or await robust_connection(self._url, 10)
                    channel = await connection.channel()
                    try:
                        for queue in self._bounds:
                            declared = await channel.declare_queue(queue, passive=True)
                            self.depths[queue] = declared.declaration_result.message_count or 0
                            self.consumers[queue] = declared.declaration_result.consumer_count or 0
                    finally:
                        await channel.close()
                except Exception as exc:
                    log.warning("grading backlog unknown: %s", exc)
                    self.depths.clear()
                    self.consumers.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._every)
        finally:
            if connection is not None:
                await connection.close()

    def stop(self) -> None:
        self._stopping.set()

"""The grading backlog, as the broker counts it: the messages waiting in the grader's queues,
looked up (a passive declare) once a second on a connection and channel of its own, so that the
gateway can refuse new work at once when a queue is past its bound — what Judge0's MAX_QUEUE_SIZE does —
without a round trip per request. Unknown (the broker away): not full; the outbox keeps what is
accepted meanwhile. The channel is kept (a missing queue closes it: then another): one opened and
closed per look-up is left in a reference cycle that only the cyclic collector frees, late — a
channel a second was the steadiest part of the gateway's memory growth in the soak."""

import asyncio
import contextlib
import logging

from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from gradeflow_shared.broker import robust_connection

log = logging.getLogger(__name__)


class QueueBacklog:
    def __init__(self, amqp_url: str, bounds: dict[str, int], every_seconds: float = 1.0) -> None:
        self._url, self._bounds, self._every = amqp_url, bounds, every_seconds
        self.depths: dict[str, int] = {}
        self.consumers: dict[str, int] = {}
        self._stopping = asyncio.Event()
        self.polls = 0  # looked up so far
        self.connection: AbstractRobustConnection | None = None

    def full(self, queue: str) -> bool:
        bound = self._bounds.get(queue, 0)
        return bound > 0 and self.depths.get(queue, 0) >= bound

    async def run(self) -> None:
        if not any(self._bounds.values()):
            return
        channel: AbstractChannel | None = None
        try:
            while not self._stopping.is_set():
                try:
                    self.connection = self.connection or await robust_connection(self._url, 10)
                    if channel is None or channel.is_closed:  # a missing queue closes it
                        channel = await self.connection.channel()
                    # The AMQP channel itself: aio-pika's robust channel keeps what a queue's
                    # first declaration answered, and would give that count again.
                    amqp = await channel.get_underlay_channel()
                    for queue in self._bounds:
                        declared = await amqp.queue_declare(queue, passive=True)
                        self.depths[queue] = declared.message_count or 0
                        self.consumers[queue] = declared.consumer_count or 0
                    self.polls += 1
                except Exception as exc:
                    log.warning("grading backlog unknown: %s", exc)
                    self.depths.clear()
                    self.consumers.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._every)
        finally:
            if self.connection is not None:
                await self.connection.close()

    def stop(self) -> None:
        self._stopping.set()

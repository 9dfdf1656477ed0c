"""Queue depth (ready and unacknowledged) and consumers, read from the broker: from the management
API when it is reachable (one request for every queue of the vhost), else by passive declaration
(no plugin needed; a passive declare answers with the ready count and the consumers, not the
unacknowledged)."""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import aio_pika
import httpx
from aio_pika.abc import AbstractRobustConnection

log = logging.getLogger(__name__)
RETRY_MANAGEMENT_SECONDS = 60.0


@dataclass(frozen=True)
class QueueState:
    depth: int  # ready
    consumers: int
    unacked: int | None = None


class BrokerStats:
    def __init__(self, amqp_url: str, management_url: str | None = None) -> None:
        self._url = amqp_url
        parts = urlsplit(amqp_url)
        self._vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
        self._auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
        self._management = management_url or f"http://{parts.hostname or 'localhost'}:15672"
        self._management_down_until = 0.0
        self._http: httpx.AsyncClient | None = None
        self._connection: AbstractRobustConnection | None = None

    async def states(self, queues: Sequence[str]) -> dict[str, QueueState]:
        """Every named queue that exists (a queue absent from the answer does not exist yet, or the
        broker cannot be asked)."""
        if time.monotonic() >= self._management_down_until:
            try:
                return await self._from_management(set(queues))
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                log.info("management API not usable (%s): passive declares instead", exc)
                self._management_down_until = time.monotonic() + RETRY_MANAGEMENT_SECONDS
        found = {}
        for queue in queues:
            state = await self.state(queue)
            if state is not None:
                found[queue] = state
        return found

    async def _from_management(self, wanted: set[str]) -> dict[str, QueueState]:
        if self._http is None:
            self._http = httpx.AsyncClient(auth=self._auth, timeout=5)
        url = f"{self._management}/api/queues/{quote(self._vhost, safe='')}"
        answer = await self._http.get(
            url, params={"columns": "name,messages_ready,messages_unacknowledged,consumers"}
        )
        answer.raise_for_status()
        return {
            q["name"]: QueueState(
                depth=int(q.get("messages_ready") or 0),
                consumers=int(q.get("consumers") or 0),
                unacked=int(q.get("messages_unacknowledged") or 0),
            )
            for q in answer.json()
            if q["name"] in wanted
        }

    async def state(self, queue: str) -> QueueState | None:
        """None when the queue does not exist (yet) or the broker cannot be asked."""
        try:
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
        except (OSError, aio_pika.exceptions.AMQPError, TimeoutError):
            return None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        if self._connection is not None:
            await self._connection.close()

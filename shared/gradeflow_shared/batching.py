"""Many small writes as one: concurrent callers each add an item and wait until the batch holding
it has been written (committed), so a message handler still acks only after its write is durable,
while the database sees one multi-row statement and one commit per batch instead of one per
message. A batch is written when it holds `max_items`, or `max_wait` seconds after its first item;
if writing it fails, every caller in it gets the error (and its message is retried)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Batcher(Generic[T]):
    def __init__(
        self, write: Callable[[list[T]], Awaitable[None]], max_items: int = 200, max_wait: float = 0.01
    ) -> None:
        self._write = write
        self._max_items = max_items
        self._max_wait = max_wait
        self._items: list[T] = []
        self._done: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None

    async def add(self, item: T) -> None:
        """Returns once the batch holding `item` is written; raises what writing it raised."""
        loop = asyncio.get_running_loop()
        if self._done is None:
            self._done = loop.create_future()
            self._timer = loop.call_later(self._max_wait, self._flush)
        done = self._done
        self._items.append(item)
        if len(self._items) >= self._max_items:
            self._flush()
        await asyncio.shield(done)

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        items, done = self._items, self._done
        self._items, self._done, self._timer = [], None, None
        if done is not None and items:
            asyncio.get_running_loop().create_task(self._write_batch(items, done))

    async def _write_batch(self, items: list[T], done: asyncio.Future[None]) -> None:
        try:
            await self._write(items)
        except Exception as e:
            done.set_exception(e)
        else:
            done.set_result(None)

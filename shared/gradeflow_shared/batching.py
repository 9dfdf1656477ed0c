"""Many small writes as one (group commit): concurrent callers each add an item and wait until the
batch holding it has been written (committed), so a request answers, or a message handler acks,
only after its write is durable, while the database sees one multi-row statement and one commit
per batch instead of one per caller.

When a batch goes out: once it holds `max_items`, or `max_wait` seconds after its first item; with
`max_wait=0`, as soon as the callers already running have added theirs (the next turn of the event
loop), so a lone caller waits for nothing. `concurrency` bounds the batches being written at once:
items arriving while every slot is busy gather into the next batch, which is how batches grow
under load by themselves, without a timer that would slow the unloaded case.

The write returns one result per item, in order, or None; an item's result that is an exception is
raised to that caller only (a rule the item broke). If the whole write fails, every caller in the
batch gets the error, except that an error of a type in `split_on` (one item a constraint refuses)
has each item of the batch written alone, so only the culprit fails — unless it is also of a type in
`keep_whole` (the database unavailable: alone, each item would fail the same way)."""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Results = Sequence[R | Exception] | None


@dataclass
class _Batch(Generic[T, R]):
    done: "asyncio.Future[Results[R]]"
    items: list[T] = field(default_factory=list)


class Batcher(Generic[T, R]):
    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[Results[R]]],
        max_items: int = 200,
        max_wait: float = 0.01,
        concurrency: int = 0,
        split_on: tuple[type[Exception], ...] = (),
        keep_whole: tuple[type[Exception], ...] = (),
    ) -> None:
        self._write = write
        self._max_items = max_items
        self._max_wait = max_wait
        self._concurrency = concurrency  # 0: no bound
        self._split_on = split_on
        self._keep_whole = keep_whole
        self._open: _Batch[T, R] | None = None  # taking items
        self._full: deque[_Batch[T, R]] = deque()  # closed, waiting for a free slot
        self._timer: asyncio.Handle | None = None
        self._writing = 0
        self._tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    async def add(self, item: T) -> R | None:
        """Returns once the batch holding `item` is written: the item's result (None if the write
        returns none); raises the item's exception, or what writing the batch raised."""
        loop = asyncio.get_running_loop()
        if self._open is None:
            self._open = _Batch(loop.create_future())
            if self._max_wait > 0:
                self._timer = loop.call_later(self._max_wait, self._due)
            else:
                self._timer = loop.call_soon(self._due)
        batch = self._open
        index = len(batch.items)
        batch.items.append(item)
        if len(batch.items) >= self._max_items:
            self._close()
        results = await asyncio.shield(batch.done)
        result = results[index] if results is not None else None
        if isinstance(result, Exception):
            raise result
        return result

    def _busy(self) -> bool:
        return bool(self._concurrency) and self._writing >= self._concurrency

    def _due(self) -> None:
        """The open batch's time has come: it goes out if a slot is free, else it keeps taking
        items until one is (`_write_batch` sends it then)."""
        self._timer = None
        if not self._busy():
            self._close()

    def _close(self) -> None:
        """The open batch takes no more items: written now, or queued for the next free slot."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._open = self._open, None
        if batch is not None and batch.items:
            self._full.append(batch)
        self._start()

    def _start(self) -> None:
        while self._full and not self._busy():
            self._writing += 1
            task = asyncio.get_running_loop().create_task(self._write_batch(self._full.popleft()))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _write_batch(self, batch: _Batch[T, R]) -> None:
        try:
            results = await self._write_split(batch.items)
        except Exception as e:
            batch.done.set_exception(e)
            batch.done.exception()  # retrieved: no warning if every caller has gone
        else:
            batch.done.set_result(results)
        finally:
            self._writing -= 1
            self._start()
            # The open batch came due while every slot was busy: it goes out now.
            if self._open is not None and self._timer is None and not self._busy():
                self._close()

    async def _write_split(self, items: list[T]) -> Results[R]:
        try:
            return await self._write(items)
        except self._split_on as e:
            if len(items) == 1 or isinstance(e, self._keep_whole):
                raise
        alone: list[R | Exception] = []
        for item in items:
            try:
                results = await self._write([item])
                alone.append(results[0] if results is not None else None)  # type: ignore[arg-type]
            except self._split_on as e:
                alone.append(e)
        return alone

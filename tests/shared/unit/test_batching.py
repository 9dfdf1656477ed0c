"""Batched writes: concurrent items go out in one write, each caller returns only after it; a full
batch is written at once; a failed write fails every caller of that batch and no other."""

import asyncio

import pytest

from gradeflow_shared.batching import Batcher


class Writes:
    def __init__(self, failing: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.failing = failing

    async def __call__(self, items: list[int]) -> None:
        await asyncio.sleep(0.005)
        if self.failing:
            raise ConnectionError("database gone")
        self.batches.append(items)


async def test_concurrent_items_are_written_together_and_each_waits_for_it() -> None:
    writes = Writes()
    batcher = Batcher(writes, max_items=100, max_wait=0.02)
    await asyncio.gather(*(batcher.add(i) for i in range(10)))
    assert writes.batches == [list(range(10))], "one write for all, done before any returned"
    await batcher.add(10)
    assert writes.batches[-1] == [10]


async def test_a_full_batch_is_written_without_waiting() -> None:
    writes = Writes()
    batcher = Batcher(writes, max_items=3, max_wait=60)
    await asyncio.wait_for(asyncio.gather(*(batcher.add(i) for i in range(6))), 2)
    assert writes.batches == [[0, 1, 2], [3, 4, 5]]


async def test_a_failed_write_fails_every_caller_of_its_batch() -> None:
    writes = Writes(failing=True)
    batcher = Batcher(writes, max_items=100, max_wait=0.01)
    results = await asyncio.gather(*(batcher.add(i) for i in range(3)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    writes.failing = False
    await batcher.add(7)
    assert writes.batches == [[7]]
    with pytest.raises(ConnectionError):
        writes.failing = True
        await batcher.add(8)

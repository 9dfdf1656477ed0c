"""Batched writes: concurrent items go out in one write, each caller returns only after it; a full
batch is written at once; a failed write fails every caller of that batch and no other. Group
commit (max_wait=0): a lone item goes at once, items arriving while the slots are busy gather into
the next batch, each caller gets its own result or error, and a constraint error is isolated."""

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


class Results:
    """Answers each item with its double, refuses odd ones with ValueError (a rule), and can
    fail a whole batch holding 13 with LookupError (a constraint); holds each write on `gate`."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, items: list[int]) -> list[int | Exception]:
        self.batches.append(items)
        await self.gate.wait()
        if 13 in items:
            raise LookupError("13 breaks a constraint")
        return [ValueError(f"{i} is odd") if i % 2 else i * 2 for i in items]


async def test_a_lone_item_goes_at_once_and_gets_its_own_result() -> None:
    write = Results()
    batcher: Batcher[int, int] = Batcher(write, max_wait=0, concurrency=1)
    assert await asyncio.wait_for(batcher.add(4), 1) == 8
    with pytest.raises(ValueError, match="3 is odd"):
        await batcher.add(3)
    assert write.batches == [[4], [3]]


async def test_items_arriving_while_the_slot_is_busy_gather_into_the_next_batch() -> None:
    write = Results()
    batcher: Batcher[int, int] = Batcher(write, max_items=4, max_wait=0, concurrency=1)
    write.gate.clear()
    first = asyncio.ensure_future(batcher.add(0))
    await asyncio.sleep(0.01)
    assert write.batches == [[0]], "written at once, no timer"
    later = [asyncio.ensure_future(batcher.add(i)) for i in range(2, 12, 2)]
    await asyncio.sleep(0.01)
    assert write.batches == [[0]], "the one slot is busy: nothing else is written meanwhile"
    write.gate.set()
    assert await asyncio.gather(first, *later) == [0, 4, 8, 12, 16, 20]
    assert write.batches == [[0], [2, 4, 6, 8], [10]], "full batches of max_items, in order"


async def test_one_rule_broken_fails_its_caller_only() -> None:
    write = Results()
    batcher: Batcher[int, int] = Batcher(write, max_wait=0)
    results = await asyncio.gather(*(batcher.add(i) for i in (2, 5, 6)), return_exceptions=True)
    assert results[0] == 4 and isinstance(results[1], ValueError) and results[2] == 12
    assert write.batches == [[2, 5, 6]]


async def test_a_constraint_error_has_each_item_written_alone_so_only_the_culprit_fails() -> None:
    write = Results()
    batcher: Batcher[int, int] = Batcher(write, max_wait=0, split_on=(LookupError,))
    results = await asyncio.gather(*(batcher.add(i) for i in (2, 13, 6)), return_exceptions=True)
    assert results[0] == 4 and isinstance(results[1], LookupError) and results[2] == 12
    assert write.batches == [[2, 13, 6], [2], [13], [6]]
    unsplit: Batcher[int, int] = Batcher(write, max_wait=0)
    both = await asyncio.gather(unsplit.add(2), unsplit.add(13), return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in both), "not split: the whole batch fails"


async def test_an_error_kept_whole_fails_the_batch_without_writing_each_alone() -> None:
    writes = Writes(failing=True)
    attempts: list[list[int]] = []

    async def write(items: list[int]) -> None:
        attempts.append(items)
        await writes(items)

    batcher: Batcher[int, None] = Batcher(
        write, max_wait=0, split_on=(Exception,), keep_whole=(ConnectionError,)
    )
    results = await asyncio.gather(*(batcher.add(i) for i in range(4)), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert attempts == [[0, 1, 2, 3]], "alone, each would fail the same way: not tried again"

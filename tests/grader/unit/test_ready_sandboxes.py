"""The pool of sandboxes started ahead, in memory: one per slot, handed out only for the disk limit
it was started with, replaced after use, and let go at close."""

import asyncio
import itertools
import threading
from dataclasses import dataclass, field

from grader.adapters.sandbox_pool import ReadySandboxes

_pids = itertools.count(100)


@dataclass
class FakeWaiting:
    disk_bytes: int
    pid: int = field(default_factory=lambda: next(_pids))
    running: bool = True
    disposed: bool = False

    def alive(self) -> bool:
        return self.running

    def dispose(self) -> None:
        self.disposed = True


@dataclass
class Starter:
    started: list[FakeWaiting] = field(default_factory=list)
    failing: bool = False

    def __call__(self, uid: int, disk_bytes: int) -> FakeWaiting:
        if self.failing:
            raise OSError("bwrap: cannot start")
        self.started.append(FakeWaiting(disk_bytes))
        return self.started[-1]


async def test_a_slot_takes_the_sandbox_started_for_it_once() -> None:
    start = Starter()
    pool = ReadySandboxes(start)
    pool.refill(60_000, 20 << 20)
    pool.refill(60_000, 20 << 20)  # it has one: no second
    assert await pool.pids() == {start.started[0].pid}
    assert await pool.take(60_000, 20 << 20) is start.started[0]
    assert await pool.take(60_000, 20 << 20) is None, "each serves one job"
    assert await pool.take(60_001, 20 << 20) is None, "another slot has none of its own"
    assert len(start.started) == 1


async def test_a_sandbox_for_another_disk_limit_or_gone_is_let_go() -> None:
    start = Starter()
    pool = ReadySandboxes(start)
    pool.refill(60_000, 20 << 20)
    await pool.pids()  # started
    assert await pool.take(60_000, 64 << 20) is None
    assert start.started[0].disposed
    pool.refill(60_000, 64 << 20)
    await pool.pids()
    start.started[1].running = False  # killed while waiting
    assert await pool.take(60_000, 64 << 20) is None
    assert start.started[1].disposed


async def test_one_still_starting_is_left_for_the_slots_next_run() -> None:
    release = threading.Event()
    start = Starter()

    def slow(uid: int, disk_bytes: int) -> FakeWaiting:
        release.wait(5)
        return start(uid, disk_bytes)

    pool = ReadySandboxes(slow, delay=0)
    pool.refill(60_000, 20 << 20)
    await asyncio.sleep(0.01)  # started, not done
    assert await pool.take(60_000, 20 << 20) is None, "not waited for: a run starts one afresh"
    release.set()
    [pid] = await pool.pids()
    assert (await pool.take(60_000, 20 << 20)) is start.started[0] and start.started[0].pid == pid


async def test_a_busy_slot_starts_its_next_only_once_it_pauses() -> None:
    start = Starter()
    pool = ReadySandboxes(start, delay=0.05)
    pool.refill(60_000, 20 << 20)
    assert await pool.take(60_000, 20 << 20) is None, "the next run came at once: started afresh"
    await asyncio.sleep(0.1)
    assert start.started == [], "and no sandbox was built beside it"
    pool.refill(60_000, 20 << 20)
    await asyncio.sleep(0.1)
    await pool.pids()
    assert len(start.started) == 1 and await pool.take(60_000, 20 << 20) is start.started[0]


async def test_a_sandbox_that_did_not_start_means_starting_one_afresh() -> None:
    pool = ReadySandboxes(Starter(failing=True))
    pool.refill(60_000, 20 << 20)
    await pool.pids()
    assert await pool.take(60_000, 20 << 20) is None
    assert await pool.pids() == set()


async def test_close_lets_every_waiting_sandbox_go_and_starts_no_more() -> None:
    start = Starter()
    pool = ReadySandboxes(start)
    for uid in (60_000, 60_001):
        pool.refill(uid, 20 << 20)
    await pool.pids()
    await pool.close()
    assert [w.disposed for w in start.started] == [True, True]
    pool.refill(60_000, 20 << 20)
    assert await pool.take(60_000, 20 << 20) is None and len(start.started) == 2

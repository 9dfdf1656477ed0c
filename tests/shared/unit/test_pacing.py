"""Pace: looks grow apart while they find nothing, come soon after a wake (but never closer than
`first`), and stop promptly."""

import asyncio
import itertools

import pytest

from gradeflow_shared.pacing import Pace


async def _paced(pace: Pace, looks: list[float], found: bool) -> None:
    """A loop paced by `pace`, noting the loop time of each look, until stopped."""
    loop = asyncio.get_running_loop()
    while not pace.stopping:
        pace.began()
        looks.append(loop.time())
        await pace.wait(found=found)


async def _looks(pace: Pace, seconds: float, found: bool = False) -> list[float]:
    """Run a loop paced by `pace` for `seconds`; the loop time of each look."""
    looks: list[float] = []
    task = asyncio.create_task(_paced(pace, looks, found))
    await asyncio.sleep(seconds)
    pace.stop()
    await asyncio.wait_for(task, 1)
    return looks


async def test_looks_that_find_nothing_grow_apart_up_to_the_longest() -> None:
    looks = await _looks(Pace(first=0.02, longest=0.16), 1.0)
    gaps = [b - a for a, b in itertools.pairwise(looks)]
    # 0.04, 0.08, 0.16, 0.16, ...: about 8 looks in a second where a fixed 0.02 s made 50.
    assert 4 <= len(looks) <= 12, looks
    assert gaps[0] < 0.1 and all(g >= 0.15 for g in gaps[3:]), gaps


async def test_looks_that_find_work_stay_first_apart() -> None:
    looks = await _looks(Pace(first=0.05, longest=1.0), 0.5, found=True)
    assert 6 <= len(looks) <= 11, looks


async def test_a_wake_brings_the_next_look_at_once_but_never_within_first_of_the_last() -> None:
    pace = Pace(first=0.1, longest=5.0)
    loop = asyncio.get_running_loop()
    looks: list[float] = []
    task = asyncio.create_task(_paced(pace, looks, found=False))
    await asyncio.sleep(0.3)  # the second look is due at 0.2, the third at 0.6
    assert len(looks) == 2
    woken_at, wakes = loop.time(), 0
    while loop.time() < woken_at + 0.25:  # a stream of announcements for a quarter second
        pace.wake()
        wakes += 1
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.15)
    after = looks[2:]
    # One look at once, then one every `first` while they keep coming: not one per announcement.
    assert 2 <= len(after) <= 4 < wakes, (looks, wakes)
    assert after[0] - woken_at < 0.05, "woken: looked at once"
    assert all(b - a >= 0.099 for a, b in zip(looks[1:], after, strict=False)), "never within `first`"
    pace.stop()
    await asyncio.wait_for(task, 1)


async def test_stop_ends_a_long_wait_at_once() -> None:
    pace = Pace(first=5.0, longest=60.0)
    pace.began()
    waiting = asyncio.create_task(pace.wait(found=False))
    await asyncio.sleep(0.01)
    pace.stop()
    await asyncio.wait_for(waiting, 0.5)
    assert pace.stopping


def test_first_must_be_positive_and_no_longer_than_longest() -> None:
    with pytest.raises(ValueError):
        Pace(first=0, longest=1)
    with pytest.raises(ValueError):
        Pace(first=2, longest=1)

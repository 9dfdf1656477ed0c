"""The grading backlog is looked up once a second for as long as the gateway runs: a look-up must
leave nothing behind. A channel opened and closed per look-up left an aio-pika channel in a
reference cycle each time, garbage only the cyclic collector frees, late: the steadiest part of the
gateway's memory growth in the soak (docs/benchmarks.md)."""

import asyncio
import gc

import aio_pika
import pytest

from gateway.adapters.backlog import QueueBacklog
from gradeflow_shared.broker import declare_topology
from gradeflow_shared.topology import DEFAULT_RETRY_DELAYS_MS, GRADER_SUBMISSIONS
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


def _channels() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, aio_pika.abc.AbstractChannel))


async def test_looking_up_the_backlog_again_and_again_leaves_nothing_behind(infra: Infra) -> None:
    await declare_topology(infra.amqp_url, DEFAULT_RETRY_DELAYS_MS)
    backlog = QueueBacklog(infra.amqp_url, {GRADER_SUBMISSIONS.queue: 100}, every_seconds=0.001)
    gc.collect()
    before = _channels()
    gc.disable()  # what a look-up leaves for the cyclic collector stays countable
    running = asyncio.create_task(backlog.run())
    try:
        while backlog.polls < 200:  # noqa: ASYNC110 - a count the look-ups keep, no event
            await asyncio.sleep(0.005)
        alive = _channels() - before
    finally:
        gc.enable()
        backlog.stop()
        await running
    assert GRADER_SUBMISSIONS.queue in backlog.depths
    assert alive <= 1, f"{alive} channels alive after 200 look-ups"

"""A request waiting for a run is woken by the run's result being recorded — a NOTIFY in the
recording transaction, heard by every replica's listener — not by reading the run's row again and
again: on PostgreSQL, the recording's commit wakes a waiter at once, a rollback wakes nobody, and
the listener's connection made again wakes every waiter (a notice may have been missed)."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from gateway.adapters.db.feed import RUNS_CHANNEL, RUNS_FEED_NAME, PgRunFeed
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def _listening(infra: Infra) -> AsyncIterator[PgRunFeed]:
    feed = PgRunFeed(infra.database_url("gateway"))
    task = asyncio.create_task(feed.run())
    try:
        await asyncio.sleep(0.5)  # connected and listening
        yield feed
    finally:
        feed.stop()
        await asyncio.wait_for(task, 5)


async def test_a_recorded_result_wakes_its_waiters_and_a_rolled_back_one_does_not(infra: Infra) -> None:
    run_id, other = uuid.uuid4(), uuid.uuid4()
    async with _listening(infra) as feed:
        conn = await asyncpg.connect(infra.admin_url)
        try:
            with feed.subscribe(run_id) as mine, feed.subscribe(other) as theirs:
                async with conn.transaction():
                    await conn.execute("SELECT pg_notify($1, $2)", RUNS_CHANNEL, str(run_id))
                    await asyncio.sleep(0.3)
                    assert not mine.is_set(), "not before the recording commits"
                await asyncio.wait_for(mine.wait(), 2)
                assert not theirs.is_set(), "another run's waiter sleeps on"
                tx = conn.transaction()
                await tx.start()
                await conn.execute("SELECT pg_notify($1, $2)", RUNS_CHANNEL, str(other))
                await tx.rollback()
                await asyncio.sleep(0.5)
                assert not theirs.is_set(), "a recording rolled back wakes nobody"
                # The listening connection lost and made again: every waiter reads for itself.
                await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                    RUNS_FEED_NAME,
                )
                await asyncio.wait_for(theirs.wait(), 5)
        finally:
            await conn.close()

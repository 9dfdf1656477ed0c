"""EMAIL_PER_SECOND is the provider account's, shared by every notifier replica through the real
Redis: two replicas sending as fast as they may stay within one budget, where each pacing itself
would send twice as much."""

import asyncio
import time
import uuid

import pytest

from notifier.adapters.email_rate import SharedEmailRate

pytestmark = pytest.mark.integration
REDIS = "redis://127.0.0.1:6379/0"


async def _send_for(rate: SharedEmailRate, seconds: float) -> int:
    sent, deadline = 0, time.monotonic() + seconds
    while True:
        async with rate:
            if time.monotonic() >= deadline:
                return sent
            sent += 1


async def test_two_replicas_share_one_budget() -> None:
    key = f"gradeflow-test:email-rate:{uuid.uuid4().hex}"
    replicas = [SharedEmailRate(REDIS, 50, key=key) for _ in range(2)]
    try:
        counts = await asyncio.gather(*(_send_for(r, 3.0) for r in replicas))
    finally:
        for replica in replicas:
            await replica.close()
    # 3 s touch at most four one-second windows of 50: 200; paced alone, two replicas send 300.
    assert sum(counts) <= 200, counts
    assert sum(counts) >= 100, counts  # and the budget is used, by both
    assert min(counts) > 0, counts


async def test_without_redis_each_replica_paces_itself() -> None:
    rate = SharedEmailRate("redis://127.0.0.1:1/0", 20)
    try:
        sent = await _send_for(rate, 1.5)
    finally:
        await rate.close()
    assert 10 <= sent <= 50, sent

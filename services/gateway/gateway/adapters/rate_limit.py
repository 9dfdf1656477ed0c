"""Rate limits shared by every gateway replica: per client and route class, at most N requests in
any window of the class's length — a sliding window kept in Redis as the requests' times (a sorted
set), checked and added to in one script (atomic, on Redis's own clock), so two replicas draw on
one budget. A token bucket that refills continuously was measured first: with 100 a minute, 100
runs sent back to back took long enough for two or three tokens to come back, and the 101st went
through; the window refuses it. Redis unreachable: requests are let through (logged), the limit is
a guard, not a gate the platform stops at."""

import logging
import math
import time
import uuid

import redis.asyncio as redis
from redis.exceptions import RedisError

from gateway.domain.limits import Decision, Rate

log = logging.getLogger(__name__)

# KEYS[1]: the client's window; ARGV: the limit, the window in seconds, this request's member.
# Returns allowed (0/1), requests left in the window, seconds until its oldest request leaves it.
_TAKE = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = 0
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return {allowed, limit - count, tostring(reset)}
"""


class RedisRateLimiter:
    def __init__(self, url: str, prefix: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._take = self._redis.register_script(_TAKE)
        self._prefix = prefix
        self._warned_at = 0.0

    async def take(self, route_class: str, client: str, rate: Rate) -> Decision | None:
        """The bucket's answer, or None when Redis cannot be asked (the request goes through)."""
        key = f"{self._prefix}:{route_class}:{client}"
        try:
            allowed, left, reset = await self._take(
                keys=[key], args=[rate.capacity, rate.period_seconds, uuid.uuid4().hex]
            )
        except (RedisError, OSError) as exc:
            if time.monotonic() - self._warned_at > 10:
                self._warned_at = time.monotonic()
                log.warning("rate limits not enforced: Redis unavailable (%s)", exc)
            return None
        seconds = math.ceil(float(reset))
        return Decision(
            allowed=bool(allowed),
            limit=rate.capacity,
            remaining=int(left),
            retry_after=seconds,
            reset=seconds,
        )

    async def close(self) -> None:
        await self._redis.aclose()

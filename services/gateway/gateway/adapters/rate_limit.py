"""Rate limits shared by every gateway replica: a token bucket per client and route class in Redis,
taken and refilled in one script (atomic, on Redis's own clock), so two replicas draw on one
budget. Redis unreachable: requests are let through (logged), the limit is a guard, not a gate the
platform stops at."""

import logging
import math
import time

import redis.asyncio as redis
from redis.exceptions import RedisError

from gateway.domain.limits import Decision, Rate

log = logging.getLogger(__name__)

# KEYS[1]: the bucket; ARGV: capacity, tokens per second. Returns allowed (0/1), tokens left,
# seconds until one token is back, seconds until the bucket is full.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
local wait = 0
if allowed == 0 then wait = (1 - tokens) / rate end
return {allowed, math.floor(tokens), tostring(wait), tostring((capacity - tokens) / rate)}
"""


class RedisRateLimiter:
    def __init__(self, url: str, prefix: str = "gradeflow:rate") -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._take = self._redis.register_script(_TAKE)
        self._prefix = prefix
        self._warned_at = 0.0

    async def take(self, route_class: str, client: str, rate: Rate) -> Decision | None:
        """The bucket's answer, or None when Redis cannot be asked (the request goes through)."""
        key = f"{self._prefix}:{route_class}:{client}"
        try:
            allowed, left, wait, full = await self._take(keys=[key], args=[rate.capacity, rate.per_second])
        except (RedisError, OSError) as exc:
            if time.monotonic() - self._warned_at > 10:
                self._warned_at = time.monotonic()
                log.warning("rate limits not enforced: Redis unavailable (%s)", exc)
            return None
        return Decision(
            allowed=bool(allowed),
            limit=rate.capacity,
            remaining=int(left),
            retry_after=math.ceil(float(wait)),
            reset=math.ceil(float(full)),
        )

    async def close(self) -> None:
        await self._redis.aclose()

"""EMAIL_PER_SECOND for every notifier replica together: the provider's limit is the account's, not
a process's. Each replica takes permits for the current window from Redis in small grants (about
a twentieth of a second's worth at a time, one round trip per grant rather than per email), so ten
replicas share one budget; a grant not spent before its window closes is lost, never lent on, so
the sum never exceeds the limit. Redis unreachable: each replica paces itself alone (logged), as
the gateway's limits let requests through — the provider then refuses the excess, which is retried."""

import asyncio
import logging
import math
import time
from types import TracebackType

import redis.asyncio as redis
from aiolimiter import AsyncLimiter
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# KEYS[1]: the budget's name; ARGV: permits a window, the window in seconds, the grant asked for.
# Returns the permits granted (0 when the window is spent) and milliseconds until the next window.
_GRANT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local index = math.floor(now_ms / (window * 1000))
local key = KEYS[1] .. ':' .. index
local used = tonumber(redis.call('GET', key) or '0')
local grant = math.min(tonumber(ARGV[3]), limit - used)
if grant > 0 then
  redis.call('INCRBY', key, grant)
  redis.call('PEXPIRE', key, window * 2000)
else
  grant = 0
end
return {grant, (index + 1) * window * 1000 - now_ms}
"""


class SharedEmailRate:
    """An async context manager (as aiolimiter's AsyncLimiter): entering takes one permit."""

    def __init__(self, url: str, per_second: float, key: str = "gradeflow:email-rate") -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._grant_script = self._redis.register_script(_GRANT)
        self._key = key
        # A window of whole seconds holding a whole number of permits (0.5/s: one every 2 s).
        self._window = 1 if per_second >= 1 else math.ceil(1 / per_second)
        self._limit = max(1, math.floor(per_second * self._window))
        self._grant = max(1, min(self._limit, math.ceil(self._limit / 20)))
        self._left = 0
        self._lock = asyncio.Lock()
        self._alone = AsyncLimiter(per_second, 1.0)
        self._warned_at = 0.0

    async def acquire(self) -> None:
        async with self._lock:
            while self._left == 0:
                try:
                    granted, wait_ms = await self._grant_script(
                        keys=[self._key], args=[self._limit, self._window, self._grant]
                    )
                except (RedisError, OSError) as exc:
                    if time.monotonic() - self._warned_at > 10:
                        self._warned_at = time.monotonic()
                        log.warning("email rate paced per replica: Redis unavailable (%s)", exc)
                    break
                if int(granted):
                    self._left = int(granted)
                else:
                    await asyncio.sleep(max(1, int(wait_ms)) / 1000)
            else:
                self._left -= 1
                return
        await self._alone.acquire()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def close(self) -> None:
        await self._redis.aclose()

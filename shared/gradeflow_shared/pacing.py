"""How a loop that looks in the database for work coming due (emails to send, callbacks to make)
waits between looks. Looking costs a transaction whether or not anything is there, and such loops
run in every replica all day: while looks find nothing they grow apart, from `first` to `longest`
seconds, so an idle replica costs a look every `longest` seconds, not five a second. Work that
arrives is announced with `wake()` (a NOTIFY, a commit in this process): the next look comes at
once, but never sooner than `first` after the last began, so a stream of announcements is looked
at in batches rather than one look per announcement. What comes due by itself (a retry's time, a
lease that ran out) is found within `longest` seconds."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Pace:
    def __init__(self, first: float = 0.2, longest: float = 2.0) -> None:
        if not 0 < first <= longest:
            raise ValueError("Pace needs 0 < first <= longest")
        self.first, self.longest = first, longest
        self._delay = first
        self._woken = asyncio.Event()
        self._stopping = False
        self._began = 0.0

    @property
    def stopping(self) -> bool:
        return self._stopping

    def began(self) -> None:
        """Called as a look begins: what was announced before it, it will see; what is announced
        from now on wakes the next."""
        self._woken.clear()
        self._began = asyncio.get_running_loop().time()

    def wake(self) -> None:
        self._woken.set()

    def stop(self) -> None:
        self._stopping = True
        self._woken.set()

    async def wait(self, found: bool) -> None:
        """After a look that `found` work (or not): until woken, or the current delay is over."""
        self._delay = self.first if found else min(self._delay * 2, self.longest)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), self._delay)
        if self._woken.is_set() and not self._stopping:
            self._delay = self.first
            loop = asyncio.get_running_loop()
            await asyncio.sleep(max(0.0, self._began + self.first - loop.time()))

    async def run(self, look: Callable[[], Awaitable[int]], full: int, failed: str) -> None:
        """Look until stopped: again at once after a look that took `full` (more may be waiting;
        other work gets the loop between), else after `wait`. A look that fails (the database
        away) is logged with `failed` and counts as finding nothing."""
        while not self._stopping:
            self.began()
            try:
                found = await look()
            except Exception as exc:
                log.warning("%s: %s", failed, exc)
                found = 0
            if found < full:
                await self.wait(found=found > 0)
            else:
                await asyncio.sleep(0)

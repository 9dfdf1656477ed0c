"""Live work first: regrades take the sandbox's slots only when live work leaves one free.

RabbitMQ 3.10's quorum queues have no message priorities, so the priority is the grader's: live
submissions and runs count themselves in while they are handled; a regrade waits until fewer than
`slots` are in hand (a slot is free of live work), and then takes one slot — regrades are taken
one at a time (their queue's prefetch). A live submission arriving meanwhile waits at most for the
sandbox slot the regrade's current test holds, never for a backlog of regrades."""

import asyncio
import contextlib
from collections.abc import AsyncIterator


class LiveWork:
    def __init__(self, slots: int = 1) -> None:
        self.slots = slots
        self.in_hand = 0
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """Around a live job."""
        async with self._changed:
            self.in_hand += 1
        try:
            yield
        finally:
            async with self._changed:
                self.in_hand -= 1
                self._changed.notify_all()

    async def room(self) -> None:
        """Once a slot is free of live work."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_hand < self.slots)

"""Judge0 callbacks: once a run is done, its result (Judge0's default fields, encoded as its
request asked) is PUT to the URL the request named — retried with backoff on timeouts, lost
connections, 429 and 5xx (Judge0 gives up at once), up to CALLBACK_MAX_TRIES; another 4xx, or a
target that now resolves to a private address, ends it (recorded). At least once: a receiver may
see a PUT again if the gateway dies between the call and recording it, so the token is the key."""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from gateway.domain import judge0
from gateway.usecases import runs
from gateway.usecases.ports import CallbackSender, Context
from gradeflow_shared.pacing import Pace

log = logging.getLogger(__name__)
BATCH = 32
LEASE_SECONDS = 60.0


@dataclass
class Callbacks:
    ctx: Context
    sender: CallbackSender
    max_tries: int
    backoff_seconds: float = 1.0
    # Looks for due callbacks every 0.2 s while it finds some, growing to every second while it
    # finds none (an idle gateway's look a second, not five).
    pace: Pace = field(default_factory=lambda: Pace(0.2, 1.0))

    async def run(self) -> None:
        await self.pace.run(self.once, BATCH, "callbacks not dispatched")

    async def once(self) -> int:
        """Every callback due now, PUT concurrently; how many were taken."""
        async with self.ctx.units() as uow:
            due = list(await uow.repos.runs.claim_callbacks(BATCH, LEASE_SECONDS))
            await uow.commit()
        if due:
            async with self.ctx.units() as uow:  # every due run in one query
                found = await uow.repos.runs.get_runs([c.run_id for c in due])
            await asyncio.gather(
                *(self._deliver(c.run_id, found[c.run_id], c.url, c.base64, c.attempts) for c in due)
            )
        return len(due)

    async def _deliver(self, run_id: UUID, row: Any, url: str, base64: bool, attempts: int) -> None:
        view = runs.view_of(row)
        delivered, retry, error = await self.sender.put(url, judge0.render(view, base64, None))
        async with self.ctx.units() as uow:
            if delivered:
                await uow.repos.runs.settle_callback(run_id, "sent", None)
            elif retry and attempts < self.max_tries:
                delay = self.backoff_seconds * 2 ** (attempts - 1)
                await uow.repos.runs.settle_callback(run_id, "pending", error, retry_in_seconds=delay)
            else:
                await uow.repos.runs.settle_callback(run_id, "failed", error)
            await uow.commit()

    def stop(self) -> None:
        self.pace.stop()

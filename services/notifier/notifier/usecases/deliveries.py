"""Sending what was staged, one dispatcher per channel (email, digest, webhook): due deliveries are taken
in batches (for a lease, so a sender that dies leaves them to another), handed to the channel's
sender at its pace, and each one's answer recorded — sent; a temporary refusal (a 4xx from a mail
server, a 5xx or a timeout from a webhook receiver, a lost connection) due again after a backoff;
a permanent one, or the last attempt, failed with the other end's words."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from gradeflow_shared.errors import Unavailable
from gradeflow_shared.pacing import Pace
from notifier.domain.records import DueDelivery, Failed, Retry
from notifier.usecases.ports import Sender, Units

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    batch: int = 500
    lease_seconds: float = 120.0  # longer than a batch takes at the slowest pace allowed
    retry_delays_seconds: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 1800.0)
    # Looks for due deliveries at most this often when told of new ones, and at least every
    # `idle_seconds` (what comes due by itself: a retry's time, a digest's window, a lease).
    busy_seconds: float = 0.2
    idle_seconds: float = 2.0
    # Accepted deliveries are recorded as sent at most this long after their acceptance, those of
    # the same moment together: what a killed sender would send again is what was accepted in its
    # last such moment (about 40 emails at 2,000 a second), for a tenth of the commits one record
    # an acceptance would cost.
    record_every_seconds: float = 0.02


# What a batch of due deliveries becomes: items to send (a mail, a call), each with the
# deliveries it carries — one each, or a user's whole digest in one mail.
T = TypeVar("T")
Compose = Callable[[Sequence[DueDelivery]], list[tuple[T, Sequence[DueDelivery]]]]


def one_each(render: Callable[[DueDelivery], T]) -> Compose[T]:
    return lambda rows: [(render(row), [row]) for row in rows]


class Dispatcher(Generic[T]):
    def __init__(
        self, channel: str, units: Units, sender: Sender[T], compose: Compose[T], policy: DeliveryPolicy
    ) -> None:
        self.channel = channel
        self._units, self._sender, self._compose, self._policy = units, sender, compose, policy
        self._pace = Pace(policy.busy_seconds, policy.idle_seconds)

    def wake(self) -> None:
        """New deliveries on this channel were committed: look soon."""
        self._pace.wake()

    async def dispatch_once(self) -> int:
        """One batch: how many deliveries were taken."""
        async with self._units() as uow:
            due = await uow.repos.outgoing.claim_due(
                self.channel, self._policy.batch, self._policy.lease_seconds
            )
            await uow.commit()
        if not due:
            return 0
        composed = self._compose(due)
        # Each item the other end accepts is recorded as sent within a moment, beside the sending
        # (those of the same moment in one record): a sender killed mid-batch sends again, when the
        # lease runs out, only what was accepted since the last record.
        accepted = _Accepted(self.channel, self.record_answers, self._policy.record_every_seconds)
        try:
            results = await self._sender.send(
                [item for item, _ in composed],
                on_sent=lambda i: accepted.add([row.id for row in composed[i][1]]),
            )
        finally:
            recorded = await accepted.close()
        sent: list[UUID] = []
        retry: list[Retry] = []
        failed: list[Failed] = []
        delays = self._policy.retry_delays_seconds
        settled = ((row, result) for (_, rows), result in zip(composed, results, strict=True) for row in rows)
        for row, result in settled:
            if result.outcome == "sent":
                if row.id not in recorded:
                    sent.append(row.id)
            elif result.outcome == "temporary" and row.attempts <= len(delays):
                retry.append((row.id, delays[row.attempts - 1], result.detail))
            else:
                failed.append((row.id, result.detail))
        await self.record_answers(sent, retry, failed)
        if retry or failed:
            log.warning(
                "%s: %d sent, %d to retry, %d failed", self.channel, len(sent), len(retry), len(failed)
            )
        return len(due)

    async def record_answers(self, sent: list[UUID], retry: list[Retry], failed: list[Failed]) -> None:
        """Record what the other end answered, trying again while the database is away: what was
        sent and not recorded would be sent again once its lease runs out. Given up only when
        stopping (the lease then brings the batch back: at least once)."""
        delay = 0.2
        while True:
            try:
                async with self._units() as uow:
                    await uow.repos.outgoing.settle(sent, retry, failed)
                    await uow.commit()
                return
            except Unavailable:
                if self._pace.stopping:
                    raise
                log.warning("%s: %d sent, not recorded yet: the database is away", self.channel, len(sent))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def run(self) -> None:
        while not self._pace.stopping:
            self._pace.began()
            try:
                taken = await self.dispatch_once()
            except Exception:  # the database away, say: the leases bring the batch back later
                log.exception("%s: a batch failed", self.channel)
                taken = 0
            if taken < self._policy.batch:  # a full batch: more may be due at once
                await self._pace.wait(found=taken > 0)

    def stop(self) -> None:
        self._pace.stop()


class _Accepted:
    """Deliveries the other end has accepted, recorded as sent in the background while the rest
    of the batch goes out: one record at a time, each taking all accepted in its moment."""

    def __init__(
        self,
        channel: str,
        record: Callable[[list[UUID], list[Retry], list[Failed]], Awaitable[None]],
        every: float,
    ) -> None:
        self._channel, self._record_answers, self._every = channel, record, every
        self._waiting: list[UUID] = []
        self._recorded: set[UUID] = set()
        self._recording: asyncio.Task[None] | None = None

    def add(self, ids: list[UUID]) -> None:
        self._waiting += ids
        if self._recording is None or self._recording.done():
            self._recording = asyncio.get_running_loop().create_task(self._record())

    async def _record(self) -> None:
        while self._waiting:
            await asyncio.sleep(self._every)  # what is accepted meanwhile goes in the same record
            taken, self._waiting = self._waiting, []
            await self._record_answers(taken, [], [])
            self._recorded.update(taken)

    async def close(self) -> set[UUID]:
        """Wait for the record in flight; the ids recorded (the rest go with the batch's record)."""
        if self._recording is not None:
            try:
                await self._recording
            except Exception:  # the database away and stopping: the batch's record says the rest
                log.warning("%s: accepted deliveries not recorded yet", self._channel)
        return self._recorded

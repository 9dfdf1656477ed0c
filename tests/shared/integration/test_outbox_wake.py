"""The outbox relay's wake-up is never lost: rows committed while a pass is publishing (after its
SELECT) go out at the next pass, at once — not at the next poll."""

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import Table, func, insert, select

from gradeflow_shared.broker import Publishable, Publisher, declare_topology
from gradeflow_shared.db import SessionFactory
from gradeflow_shared.events import GradingStarted
from gradeflow_shared.outbox import OutboxRelay, outbox_rows
from tests.support.infra import Infra
from tests.support.waiting import until

pytestmark = pytest.mark.integration
POLL_SECONDS = 60.0  # a row waiting for the poll would wait this long: far past the test's patience


class _HeldPublisher(Publisher):
    """A real publisher whose first batch waits until the test lets it go."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.publishing, self.go = asyncio.Event(), asyncio.Event()

    async def publish_many(
        self, messages: Sequence[tuple[Publishable, str]], to_queue: bool = False
    ) -> list[BaseException | None]:
        if not self.go.is_set():
            self.publishing.set()
            await self.go.wait()
        return await super().publish_many(messages, to_queue)


async def _stage(sessions: SessionFactory, outbox: Table) -> None:
    event = GradingStarted(submission_id=uuid.uuid4(), started_at=datetime.now(UTC))
    async with sessions.begin() as session:
        await session.execute(insert(outbox), [row for _, row in outbox_rows([(event, None)])])


async def test_a_row_committed_during_a_pass_goes_out_at_once(
    infra: Infra, private_outbox: tuple[SessionFactory, Table]
) -> None:
    sessions, outbox = private_outbox
    await declare_topology(infra.amqp_url, (1000,))
    publisher = _HeldPublisher(infra.amqp_url)
    relay = OutboxRelay(sessions, publisher, outbox, poll_seconds=POLL_SECONDS)
    await _stage(sessions, outbox)
    running = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(publisher.publishing.wait(), 10)  # the first pass holds its row
        await _stage(sessions, outbox)  # committed after that pass's SELECT ...
        relay.wake()  # ... and announced, as a unit of work does after its commit
        publisher.go.set()

        async def both_published() -> bool:
            async with sessions() as session:
                unpublished = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                return (await session.scalar(unpublished)) == 0

        await until(both_published, "the row committed during the pass published", timeout=10)
    finally:
        await relay.stop()
        running.cancel()
        await publisher.close()

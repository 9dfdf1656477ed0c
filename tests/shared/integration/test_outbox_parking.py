"""An outbox row the broker refuses never blocks the rows behind it: published alone and refused
again, it is parked with the broker's reason, and every other row of its batch goes out. An event
over MAX_EVENT_BYTES is refused when it is staged."""

import uuid
from datetime import UTC, datetime

import aio_pika
import pytest
from sqlalchemy import Table, insert, select

from gradeflow_shared.broker import Publisher, declare_topology
from gradeflow_shared.db import SessionFactory
from gradeflow_shared.events import CourseEventPublished, GradingStarted
from gradeflow_shared.outbox import MAX_EVENT_BYTES, EventTooLarge, OutboxRelay, outbox_rows, stage_events
from gradeflow_shared.topology import EXCHANGE
from tests.support.broker_limits import max_message_size
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


def _event() -> GradingStarted:
    return GradingStarted(submission_id=uuid.uuid4(), started_at=datetime.now(UTC))


async def test_a_row_the_broker_refuses_is_parked_and_the_rows_behind_it_go_out(
    infra: Infra, private_outbox: tuple[SessionFactory, Table]
) -> None:
    sessions, outbox = private_outbox
    await declare_topology(infra.amqp_url, (1000,))
    connection = await aio_pika.connect(infra.amqp_url)
    publisher = Publisher(infra.amqp_url)
    try:
        probe = await (await connection.channel()).declare_queue(exclusive=True)
        await probe.bind(EXCHANGE.name, routing_key=GradingStarted.type)
        rows = [row for _, row in outbox_rows([(_event(), None) for _ in range(5)])]
        rows[1]["body"] = rows[1]["body"][:-1] + ', "padding": "' + "x" * 300_000 + '"}'
        async with sessions.begin() as session:
            await session.execute(insert(outbox), rows)
        with max_message_size(100_000):
            relay = OutboxRelay(sessions, publisher, outbox)
            assert await relay.relay_once() == 4
            assert await relay.relay_once() == 0, "the parked row is not tried again"
        seen = []
        while (message := await probe.get(no_ack=True, fail=False)) is not None:
            seen.append(str(message.message_id))
        # At least once each (a message the refusal took down may have reached the broker before
        # the channel closed, and goes again alone: consumers absorb duplicates by id).
        assert set(seen) == {str(r["id"]) for i, r in enumerate(rows) if i != 1}
        async with sessions() as session:
            parked = (await session.execute(select(outbox).where(outbox.c.parked_at.is_not(None)))).all()
        assert [str(p.id) for p in parked] == [str(rows[1]["id"])] and parked[0].published_at is None
        assert "larger than configured max size" in parked[0].park_reason
    finally:
        await connection.close()
        await publisher.close()


async def test_an_event_too_large_to_send_is_refused_when_staged(
    private_outbox: tuple[SessionFactory, Table],
) -> None:
    """Control characters take six bytes each in JSON: a body of characters under the bound in
    number, over it as sent."""
    sessions, outbox = private_outbox
    huge = CourseEventPublished(
        event_id=uuid.uuid4(),
        course_id=uuid.uuid4(),
        author_id=uuid.uuid4(),
        title="Exam",
        body="\x01" * (MAX_EVENT_BYTES // 6 + 1),
        category="announcement",
        priority="normal",
        audience="all",
        published_at=datetime.now(UTC),
    )
    with pytest.raises(EventTooLarge) as refused:
        async with sessions.begin() as session:
            await stage_events(session, outbox, [(huge, None)])
    assert refused.value.field == "body" and CourseEventPublished.type in refused.value.message
    async with sessions() as session:
        assert (await session.execute(select(outbox))).first() is None

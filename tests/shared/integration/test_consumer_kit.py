"""The settling middleware (under FastStream) and the outbox relay against the real broker and
database: a hanging handler is cancelled and retried; an unroutable publish is an error, never
silence; two relays on one outbox publish each row exactly once."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aio_pika
import pytest
from aio_pika.exceptions import DeliveryError
from sqlalchemy import Table, func, select

from gradeflow_shared.broker import Publisher, declare_route, publish_raw
from gradeflow_shared.db import SessionFactory
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import GradingStarted
from gradeflow_shared.messaging import Messaging, MessagingPolicy, Mode
from gradeflow_shared.outbox import OutboxRelay, stage_events
from gradeflow_shared.telemetry import Telemetry
from gradeflow_shared.topology import EXCHANGE, Route
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
DELAYS = (200, 400)


@pytest.fixture
async def route(infra: Infra) -> AsyncIterator[Route]:
    tag = uuid.uuid4().hex[:8]
    route = Route(f"kit.probe-{tag}", f"kit.probe.{tag}")
    await declare_route(infra.amqp_url, route, DELAYS)
    yield route


def _event() -> GradingStarted:
    return GradingStarted(submission_id=uuid.uuid4(), started_at=datetime.now(UTC))


async def test_a_hanging_handler_is_cancelled_and_its_message_retried(infra: Infra, route: Route) -> None:
    calls: list[int] = []
    done = asyncio.Event()

    async def handler(event: GradingStarted, envelope: Envelope) -> None:
        calls.append(len(calls) + 1)
        if len(calls) == 1:
            await asyncio.sleep(3600)  # hangs: the policy's timeout must cancel it
        done.set()

    publisher = Publisher(infra.amqp_url)
    policy = MessagingPolicy(DELAYS, handler_timeout_seconds=0.5, prefetch=4)
    messaging = Messaging.build(infra.amqp_url, publisher, policy, Telemetry(publisher))
    messaging.add(route, GradingStarted, handler, mode=Mode.OUTSIDE, report=False)
    await messaging.start()
    try:
        event = _event()
        await publish_raw(
            publisher, event.model_dump_json().encode(), Envelope.for_event(event), route.routing_key
        )
        await asyncio.wait_for(done.wait(), 10)
        await asyncio.sleep(0.5)
    finally:
        await messaging.stop()
        await messaging.close()
        await publisher.close()
    assert calls == [1, 2], "cancelled once after the timeout, then processed once"


async def test_an_unroutable_publish_raises(infra: Infra) -> None:
    publisher = Publisher(infra.amqp_url)
    try:
        event = _event()
        body, envelope = event.model_dump_json().encode(), Envelope.for_event(event)
        with pytest.raises(DeliveryError):
            await publish_raw(publisher, body, envelope, f"nobody.listens.{uuid.uuid4().hex}")
        # The channel survives a returned message: the next one is answered the same way.
        with pytest.raises(DeliveryError):
            await publish_raw(publisher, body, envelope, f"nobody.listens.{uuid.uuid4().hex}")
    finally:
        await publisher.close()


async def test_two_relays_on_one_outbox_publish_each_row_exactly_once(
    infra: Infra, route: Route, private_outbox: tuple[SessionFactory, Table]
) -> None:
    # `route` declares the events exchange the probe binds to.
    sessions, outbox = private_outbox
    publishers = [Publisher(infra.amqp_url), Publisher(infra.amqp_url)]
    connection = await aio_pika.connect(infra.amqp_url)
    try:
        channel = await connection.channel()
        probe = await channel.declare_queue(exclusive=True)
        await probe.bind(EXCHANGE.name, routing_key=GradingStarted.type)
        async with sessions.begin() as session:
            ids = [e.message_id for e in await stage_events(session, outbox, [(_event(), None)] * 300)]
        relays = [OutboxRelay(sessions, p, outbox, poll_seconds=0.05, batch_size=25) for p in publishers]
        passes = await asyncio.gather(*(_drain(r) for r in relays))
        assert all(p > 0 for p in passes), "both relays took a share"

        seen: list[str] = []
        while (message := await probe.get(no_ack=True, fail=False)) is not None:
            seen.append(str(message.message_id))
        assert sorted(m for m in seen if m in set(ids)) == sorted(ids)
        async with sessions() as session:
            left = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        assert left == 0
    finally:
        await connection.close()
        for publisher in publishers:
            await publisher.close()


async def test_a_relayed_row_is_the_message_its_event_stands_for(
    infra: Infra, route: Route, private_outbox: tuple[SessionFactory, Table]
) -> None:
    """Persistent JSON with the event's id, type and correlation id, its staged headers and the
    publish time: what consumers read the envelope from (the relay builds it without aio-pika's
    message object)."""
    sessions, outbox = private_outbox
    publisher = Publisher(infra.amqp_url)
    connection = await aio_pika.connect(infra.amqp_url)
    try:
        probe = await (await connection.channel()).declare_queue(exclusive=True)
        await probe.bind(EXCHANGE.name, routing_key=GradingStarted.type)
        event = _event()
        async with sessions.begin() as session:
            [envelope] = await stage_events(session, outbox, [(event, "the-correlation")])
        assert await OutboxRelay(sessions, publisher, outbox).relay_once() == 1
        message = await probe.get(no_ack=True, timeout=5)
        assert (message.message_id, message.type, message.correlation_id) == (
            envelope.message_id,
            GradingStarted.type,
            "the-correlation",
        )
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.content_type == "application/json"
        assert GradingStarted.model_validate_json(message.body) == event
        headers = message.headers
        assert headers["x-schema-version"] == event.version
        assert headers["x-occurred-at"] == envelope.occurred_at.isoformat()
        published_at = datetime.fromisoformat(str(headers["x-published-at"]))
        assert envelope.occurred_at <= published_at <= datetime.now(UTC)
    finally:
        await connection.close()
        await publisher.close()


async def _drain(relay: OutboxRelay) -> int:
    published = 0
    while (n := await relay.relay_once()) > 0:
        published += n
        await asyncio.sleep(0)
    return published


async def test_a_relay_backs_off_while_the_broker_is_unreachable(
    private_outbox: tuple[SessionFactory, Table], caplog: pytest.LogCaptureFixture
) -> None:
    """New writes keep waking the relay; with the broker gone it must not spin on failing publishes."""
    sessions, outbox = private_outbox
    dead = Publisher("amqp://guest:guest@127.0.0.1:1/", timeout=0.5)  # nothing listens on port 1
    relay = OutboxRelay(sessions, dead, outbox, poll_seconds=0.05)
    async with sessions.begin() as session:
        [envelope] = await stage_events(session, outbox, [(_event(), None)])
    task = asyncio.create_task(relay.run())
    try:
        for _ in range(200):  # two seconds of writes waking the relay
            relay.wake()
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    failed_passes = [r for r in caplog.records if "not confirmed" in r.getMessage()]
    assert 1 <= len(failed_passes) <= 8, f"{len(failed_passes)} failing passes in two seconds"
    async with sessions() as session:
        row = (await session.execute(select(outbox).where(outbox.c.id == envelope.message_id))).one()
    assert row.published_at is None, "an unconfirmed row stays to be published later"

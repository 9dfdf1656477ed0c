"""The settling middleware under FastStream's in-memory broker: a message whose headers are not what
a publisher of ours writes (a retry count that is no number, an attempt history that is no JSON
list, a naive publication time, a version that is no number) and whose body is invalid is
dead-lettered once with the reason — never left to loop; a transient failure goes to the first
delay tier with its count; a failure to settle is not swallowed (FastStream then nacks it)."""

import uuid
from datetime import UTC, datetime

import pytest
from faststream.rabbit import TestRabbitBroker

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import GradingStarted
from gradeflow_shared.messaging import EVENTS, Messaging, MessagingPolicy, Mode
from gradeflow_shared.telemetry import Telemetry
from gradeflow_shared.topology import Route
from tests.support.fakes import RecordingPublisher

ROUTE = Route("settling.probe", "settling.probe")
HOSTILE = {
    "x-retry-count": "many",
    "x-attempt-history": "not json",
    "x-published-at": "2026-01-01T00:00:00",
    "x-schema-version": "v2",
}


def _messaging(publisher: RecordingPublisher, handled: list[GradingStarted]) -> Messaging:
    messaging = Messaging.build(
        "amqp://in-memory.invalid/", publisher, MessagingPolicy((1000,), 5.0, 4), Telemetry(publisher)
    )

    async def handler(event: GradingStarted, envelope: Envelope) -> None:
        handled.append(event)
        if event.submission_id.int == 1:
            raise ConnectionError("the database blinked")

    messaging.add(ROUTE, GradingStarted, handler, mode=Mode.OUTSIDE, report=False)
    return messaging


async def _publish(messaging: Messaging, body: bytes, headers: dict[str, str]) -> None:
    async with TestRabbitBroker(messaging.broker) as broker:
        await broker.publish(
            body,
            exchange=EVENTS,
            routing_key=ROUTE.routing_key,
            message_id=str(uuid.uuid4()),
            headers=headers,
            content_type="application/json",
        )


async def test_hostile_headers_and_an_invalid_body_are_dead_lettered_once_with_the_reason() -> None:
    publisher, handled = RecordingPublisher(), []
    messaging = _messaging(publisher, handled)
    await _publish(messaging, b'{"submission_id": "not a uuid"}', HOSTILE)
    [dead] = publisher.to(ROUTE.dlq)
    assert handled == [] and publisher.to(ROUTE.retry_queue(0)) == []
    assert "ValidationError" in str(dead.headers["x-last-error"])
    assert '"error"' in str(dead.headers["x-attempt-history"]), "a history begun afresh"


async def test_a_transient_failure_goes_to_the_first_tier_with_its_count() -> None:
    publisher, handled = RecordingPublisher(), []
    messaging = _messaging(publisher, handled)
    event = GradingStarted(submission_id=uuid.UUID(int=1), started_at=datetime.now(UTC))
    await _publish(messaging, event.model_dump_json().encode(), HOSTILE)
    [retried] = publisher.to(ROUTE.retry_queue(0))
    assert len(handled) == 1 and retried.headers["x-retry-count"] == 1
    assert "ConnectionError" in str(retried.headers["x-last-error"])


async def test_a_failure_to_settle_is_raised_not_acked_away() -> None:
    class Unreachable(RecordingPublisher):
        async def publish_many(self, messages, to_queue=False):  # type: ignore[no-untyped-def]
            return [ConnectionError("the broker is away")] * len(messages)

    publisher, handled = Unreachable(), []
    messaging = _messaging(publisher, handled)
    event = GradingStarted(submission_id=uuid.UUID(int=1), started_at=datetime.now(UTC))
    with pytest.raises(ConnectionError):
        await _publish(messaging, event.model_dump_json().encode(), {})
    assert len(handled) == 1

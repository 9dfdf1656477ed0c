"""The envelope and the failure table: pure pieces of the common library."""

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from gradeflow_shared.envelope import H_OCCURRED_AT, H_VERSION, Envelope
from gradeflow_shared.errors import PermanentError, TransientError, Unavailable, disposition
from gradeflow_shared.events import GradingStarted
from gradeflow_shared.topology import ROUTES, route_for


def test_envelope_has_a_uuid7_message_id_and_the_event_metadata() -> None:
    event = GradingStarted(submission_id=uuid.uuid4(), started_at=datetime.now(UTC))
    first, second = Envelope.for_event(event), Envelope.for_event(event, correlation_id="c-1")
    assert uuid.UUID(first.message_id).version == 7
    assert first.message_id < second.message_id, "UUIDv7 ids sort by creation"
    assert first.type == "grading.started" and first.version == 1
    assert first.correlation_id == first.message_id
    assert second.correlation_id == "c-1"
    headers = first.headers()
    assert headers[H_VERSION] == 1 and datetime.fromisoformat(headers[H_OCCURRED_AT])


def test_failures_are_classified_in_one_table() -> None:
    with pytest.raises(ValidationError) as invalid:
        GradingStarted.model_validate({"submission_id": "nope"})
    assert disposition(invalid.value) == "dead_letter"
    assert disposition(PermanentError("bad")) == "dead_letter"
    assert disposition(TransientError("later")) == "retry"
    assert disposition(ConnectionError()) == "retry"
    assert disposition(Unavailable("database")) == "retry"


def test_every_queue_is_named_service_dot_purpose_with_its_dlq() -> None:
    for route in ROUTES:
        service, purpose = route.queue.split(".")
        assert service in {"gateway", "grader", "notifier", "metrics"} and purpose
        assert route.dlq == f"{route.queue}.dlq"
        assert route_for(route.queue) is route
        args = route.work_queue().arguments
        assert args["x-dead-letter-routing-key"] == route.dlq
        assert args["x-delivery-limit"] > 0

"""The gateway's composition root with its overrides: fake units of work and a recording
publisher, messages delivered in memory to the consumers it subscribed, the HTTP app without a
server.
What real RabbitMQ alone can show (dead-lettering by TTL, redelivery) is tested on it, elsewhere."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import JobsObserved, SubmissionGraded
from gradeflow_shared.topology import GATEWAY_SUBMISSION_GRADED
from tests.gateway.unit.fakes import FakeRepos, fake_units
from tests.support.fakes import FakeUnits, RecordingPublisher, deliver

SECRET = "unit-test-secret-0123456789abcdef"


def _app(units: Any) -> tuple[Any, RecordingPublisher]:
    publisher = RecordingPublisher()
    settings = GatewaySettings(
        database_url="postgresql+asyncpg://gateway:unused@127.0.0.1:1/none",
        environment="test",
        auth_secret=SECRET,
    )
    return create_app(settings, units=units, publisher=publisher, submit_units=units), publisher


@pytest.fixture
async def client_and_units() -> AsyncIterator[tuple[httpx.AsyncClient, FakeUnits[FakeRepos]]]:
    units = fake_units()
    app, _ = _app(units)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, units


async def test_a_submission_through_the_http_app_in_memory(
    client_and_units: tuple[httpx.AsyncClient, FakeUnits[FakeRepos]],
) -> None:
    client, units = client_and_units
    login = (await client.post("/v1/auth/dev-login", json={"email": "t@example.com", "name": "T"})).json()
    auth = {"Authorization": f"Bearer {login['token']}"}
    course = (await client.post("/v1/courses", json={"title": "C"}, headers=auth)).json()
    assert course["created_by"] == login["user_id"]
    refused = await client.post(
        "/v1/submissions",
        json={"assignment_id": str(uuid.uuid4()), "language": "c", "source": "x"},
        headers=auth,
    )
    assert refused.status_code == 404 and refused.json()["fields"][0]["field"] == "assignment_id"
    kinds = [p.event.type for p in units.published]
    assert kinds == ["enrollment.changed", "course.changed"], (
        "the course's; nothing for the refused submission"
    )


async def test_a_missing_file_in_a_handler_is_a_500_not_a_503() -> None:
    class Broken(FakeUnits[FakeRepos]):
        def __call__(self) -> Any:
            raise FileNotFoundError("/etc/gradeflow/missing.pem")

    app, _ = _app(Broken(FakeRepos()))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/v1/auth/dev-login", json={"email": "t@example.com", "name": "T"})
    assert response.status_code == 500 and response.json()["error"] == "internal"
    assert "Retry-After" not in response.headers


async def test_grades_are_routed_to_their_use_case_once_and_bad_ones_dead_lettered() -> None:
    units = fake_units()
    app, publisher = _app(units)
    store = units.repos.store
    assignment = await store.add_assignment(uuid.uuid4(), {"title": "t"})
    new = {"student_id": uuid.uuid4(), "assignment_id": assignment.id, "language": "c", "source": "x"}
    [submission] = await store.add_submissions([new])
    graded = SubmissionGraded(
        submission_id=submission.id,
        assignment_id=assignment.id,
        course_id=assignment.course_id,
        student_id=submission.student_id,
        verdict="accepted",
        score=1,
        max_score=1,
        tests=(),
        graded_at=datetime.now(UTC),
    )
    envelope = Envelope.for_event(graded)
    body = graded.model_dump_json().encode()
    consuming = app.state.runtime.messaging
    # To the read model, and to the LMS pass-back (no course here is linked to one: nothing posted).
    assert await deliver(consuming, graded.type, body, envelope.message_id) == 2
    after_first = dict(vars(submission))
    # A redelivery of the same message: the read model only moves forward, so it changes nothing
    # (no inbox claim is made for it: Mode.IDEMPOTENT).
    late = graded.model_copy(update={"score": 0, "verdict": "wrong_answer"}).model_dump_json().encode()
    assert await deliver(consuming, graded.type, late, envelope.message_id) == 2
    assert await deliver(consuming, graded.type, b'{"submission_id": "not a uuid"}', "bad-1") == 2
    assert (submission.status, submission.verdict) == ("graded", "accepted")
    assert dict(vars(submission)) == after_first, "the redelivery changed nothing"
    assert units.inbox == set()
    [dead] = publisher.to(GATEWAY_SUBMISSION_GRADED.dlq)
    assert dead.message_id == "bad-1" and "ValidationError" in str(dead.headers["x-last-error"])
    await app.state.runtime.telemetry.close()  # published in the background: flushed as at shutdown
    [report] = publisher.to("telemetry.jobs")  # one message for the three, all reported
    jobs = JobsObserved.model_validate_json(report.body).jobs
    outcomes = [(j.message_id, j.outcome) for j in jobs if j.queue == GATEWAY_SUBMISSION_GRADED.queue]
    assert outcomes == [(envelope.message_id, "processed")] * 2 + [("bad-1", "dead_lettered")]

"""An assignment's languages, due date and late policy through the HTTP API, PostgreSQL and
RabbitMQ: a language it does not take is refused naming `language`; late work is accepted,
penalised per day begun (the grade published on the broker lands less its penalty, the grader's
score kept as raw_score) or refused; after `close_at` nothing is taken."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import SubmissionGraded
from tests.support.api import SUM_TESTS, classroom
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
SOURCE = "print(1)"


async def _assignment(gateway: httpx.AsyncClient, course: str, teacher: dict[str, str], **policy: Any) -> str:
    body = {"title": "Due", "tests": SUM_TESTS, **policy}
    r = await gateway.post(f"/v1/courses/{course}/assignments", json=body, headers=teacher)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def test_languages_and_late_policies_decide_what_is_taken_and_what_it_scores(
    gateway: httpx.AsyncClient, infra: Infra
) -> None:
    room = await classroom(gateway, students=1)
    student_id, student = room.students[0]

    async def submit(assignment: str, language: str = "python") -> httpx.Response:
        body = {"assignment_id": assignment, "language": language, "source": SOURCE}
        return await gateway.post("/v1/submissions", json=body, headers=student)

    python_only = await _assignment(gateway, room.course_id, room.teacher, languages=["python"])
    refused = await submit(python_only, "c")
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "language"
    assert (await submit(python_only)).status_code == 202

    # Due two days and an hour ago: three days begun, 15 % a day off.
    penalised = await _assignment(
        gateway,
        room.course_id,
        room.teacher,
        due_at=_ago(days=2, hours=1),
        late_policy="penalty",
        late_penalty_percent=15,
    )
    late = await submit(penalised)
    assert late.status_code == 202, late.text
    view = (await gateway.get(f"/v1/submissions/{late.json()['id']}", headers=student)).json()
    assert (view["late_days"], view["penalty_percent"]) == (3, 45)

    publisher = Publisher(infra.amqp_url)
    try:
        graded = SubmissionGraded(
            submission_id=uuid.UUID(late.json()["id"]),
            assignment_id=uuid.UUID(penalised),
            course_id=uuid.UUID(room.course_id),
            student_id=uuid.UUID(student_id),
            verdict="accepted",
            score=10,
            max_score=10,
            tests=(),
            graded_at=datetime.now(UTC),
        )
        body = graded.model_dump_json().encode()
        await publisher.publish(message_for(body, Envelope.for_event(graded)), graded.type)
    finally:
        await publisher.close()
    for _ in range(100):
        view = (await gateway.get(f"/v1/submissions/{late.json()['id']}", headers=student)).json()
        if view["status"] == "graded":
            break
        await asyncio.sleep(0.05)
    assert (view["status"], view["raw_score"], view["score"], view["max_score"]) == ("graded", 10, 5, 10)

    accepting = await _assignment(gateway, room.course_id, room.teacher, due_at=_ago(hours=1))
    on_record = await submit(accepting)
    assert on_record.status_code == 202
    seen = (await gateway.get(f"/v1/submissions/{on_record.json()['id']}", headers=student)).json()
    assert (seen["late_days"], seen["penalty_percent"]) == (1, 0), "late, noted, not penalised"

    strict = await _assignment(
        gateway, room.course_id, room.teacher, due_at=_ago(minutes=1), late_policy="refuse"
    )
    closed_late = await submit(strict)
    assert closed_late.status_code == 409 and closed_late.json()["fields"][0]["field"] == "assignment_id"
    closed = await _assignment(gateway, room.course_id, room.teacher, close_at=_ago(seconds=5))
    assert (await submit(closed)).status_code == 409, "closed: nothing is taken, late or not"
    future = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    open_one = await _assignment(gateway, room.course_id, room.teacher, due_at=future, late_policy="refuse")
    taken = await submit(open_one)
    assert taken.status_code == 202
    on_time = (await gateway.get(f"/v1/submissions/{taken.json()['id']}", headers=student)).json()
    assert (on_time["late_days"], on_time["penalty_percent"]) == (0, 0)
    shown = (await gateway.get(f"/v1/assignments/{open_one}", headers=student)).json()
    assert (shown["late_policy"], shown["due_at"] is not None, shown["languages"]) == ("refuse", True, None)

    naive = await gateway.post(
        f"/v1/courses/{room.course_id}/assignments",
        json={"title": "x", "tests": SUM_TESTS, "due_at": "2026-12-01T10:00:00"},
        headers=room.teacher,
    )
    assert naive.status_code == 422 and naive.json()["fields"][0]["field"] == "due_at", (
        "a time zone is needed"
    )

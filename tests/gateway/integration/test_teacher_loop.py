"""Editing and archiving an assignment, and grades beyond the first, through the HTTP API,
PostgreSQL and RabbitMQ (no grader: grades are published on the broker as the grader would):
a change of the suite is the next version, published whole; sending the same again is no version;
deadlines out of range or out of order are refused naming the field; an archived assignment is
hidden and closed; a grade of a later version replaces the earlier one, a late or repeated one
changes nothing, and an override wins over both."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import aio_pika
import httpx
import pytest

from gradeflow_shared.broker import declare_topology
from gradeflow_shared.events import AssignmentPublished, SubmissionGraded, SubmissionRegradeRequested
from gradeflow_shared.topology import DEFAULT_RETRY_DELAYS_MS, GRADER_ASSIGNMENTS, GRADER_REGRADES
from tests.support.api import classroom
from tests.support.events import publish
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


async def _drain(
    infra: Infra, queue: str, model: Any, wanted: int, timeout: float = 20, mine: Any = lambda _: True
) -> list[Any]:
    """What the gateway's outbox put on `queue`, decoded (taken off it), until `wanted` of those
    `mine` accepts (other tests' gateways share the queues) or `timeout`."""
    connection = await aio_pika.connect(infra.amqp_url)
    got: list[Any] = []
    try:
        channel = await connection.channel()
        q = await channel.get_queue(queue)
        for _ in range(int(timeout * 10)):
            message = await q.get(no_ack=True, fail=False)
            if message is None:
                if len([g for g in got if mine(g)]) >= wanted:
                    break
                await asyncio.sleep(0.1)
                continue
            got.append(model.model_validate_json(message.body))
    finally:
        await connection.close()
    return got


async def _grade(
    infra: Infra, submission: dict[str, Any], room: Any, score: int, version: int, **kw: Any
) -> None:
    graded = SubmissionGraded(
        submission_id=uuid.UUID(submission["id"]),
        assignment_id=uuid.UUID(room.assignment_id),
        course_id=uuid.UUID(room.course_id),
        student_id=uuid.UUID(room.students[0].user_id),
        verdict="accepted" if score == 2 else "wrong_answer",
        score=score,
        max_score=2,
        tests=(),
        graded_at=datetime.now(UTC),
        suite_version=version,
        **kw,
    )
    await publish(infra.amqp_url, graded)


async def _seen(
    gateway: httpx.AsyncClient, auth: dict[str, str], submission: str, until: Any
) -> dict[str, Any]:
    for _ in range(200):
        view: dict[str, Any] = (await gateway.get(f"/v1/submissions/{submission}", headers=auth)).json()
        if until(view):
            return view
        await asyncio.sleep(0.05)
    raise AssertionError(f"the read model never became as expected: {view}")


async def test_edit_archive_regrade_and_override(gateway: httpx.AsyncClient, infra: Infra) -> None:
    await declare_topology(infra.amqp_url, DEFAULT_RETRY_DELAYS_MS)
    tests = [{"stdin": "1\n", "expected_stdout": "1\n"}, {"stdin": "2\n", "expected_stdout": "4\n"}]
    room = await classroom(gateway, students=1, tests=tests)
    teacher, student = room.teacher, room.students[0].auth
    url = f"/v1/assignments/{room.assignment_id}"
    await _drain(infra, GRADER_ASSIGNMENTS.queue, AssignmentPublished, 1)

    renamed = await gateway.patch(url, json={"title": "Sum, again"}, headers=teacher)
    assert renamed.status_code == 200 and renamed.json()["suite_version"] == 1, "a title is no new version"
    fixed_tests = [tests[0], {"stdin": "2\n", "expected_stdout": "3\n"}]
    fixed = await gateway.patch(url, json={"tests": fixed_tests, "time_limit_ms": 1000}, headers=teacher)
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["suite_version"], fixed.json()["time_limit_ms"]) == (2, 1000)
    assert [t["expected_stdout"] for t in fixed.json()["tests"]] == ["1\n", "3\n"]
    same = await gateway.patch(url, json={"tests": fixed_tests}, headers=teacher)
    assert same.json()["suite_version"] == 2, "the same tests again: no new version"
    ours = lambda e: str(e.assignment_id) == room.assignment_id and e.suite_version > 1  # noqa: E731
    drained = await _drain(infra, GRADER_ASSIGNMENTS.queue, AssignmentPublished, 1, mine=ours)
    [published] = [e for e in drained if ours(e)]
    assert (published.suite_version, published.time_limit_ms, published.tests[1].expected_stdout) == (
        2,
        1000,
        "3\n",
    )

    for body, field in (
        ({"due_at": "0001-01-01T00:00:00+05:00"}, "due_at"),
        ({"due_at": "2027-03-02T00:00:00Z", "close_at": "2027-03-01T00:00:00Z"}, "close_at"),
        ({"title": None}, "title"),
        ({"tests": [{"expected_stdout": "1", "comparison": "checker"}]}, "checker"),
    ):
        refused = await gateway.patch(url, json=body, headers=teacher)
        assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == field, (
            body,
            refused.text,
        )
    due = await gateway.patch(url, json={"due_at": "2199-01-01T00:00:00Z"}, headers=teacher)
    assert due.status_code == 200
    closing = await gateway.patch(url, json={"close_at": "2198-12-31T00:00:00Z"}, headers=teacher)
    assert closing.status_code == 422, "checked against the kept due_at"
    assert (await gateway.patch(url, json={"title": "x"}, headers=student)).status_code == 403

    body = {"assignment_id": room.assignment_id, "language": "python", "source": "print(1)"}
    submission = (await gateway.post("/v1/submissions", json=body, headers=student)).json()
    await _grade(infra, submission, room, 1, version=2)
    await _seen(gateway, student, submission["id"], lambda v: v["status"] == "graded")
    asked = await gateway.post(f"/v1/submissions/{submission['id']}/regrades", headers=teacher)
    assert asked.status_code == 202 and asked.json()["total"] == 1 and asked.json()["done"] == 1
    assert asked.json()["suite_version"] == 2, "graded by version 2 already: done"

    third = await gateway.patch(url, json={"time_limit_ms": 1500}, headers=teacher)
    assert third.json()["suite_version"] == 3
    regrade = (await gateway.post(f"{url}/regrades", json={"scope": "all"}, headers=teacher)).json()
    assert (regrade["total"], regrade["done"], regrade["suite_version"]) == (1, 0, 3)
    again = (await gateway.post(f"{url}/regrades", json={"scope": "all"}, headers=teacher)).json()
    assert again["id"] == regrade["id"], "once per version and scope"
    sent = await _drain(
        infra, GRADER_REGRADES.queue, SubmissionRegradeRequested, 2,
        mine=lambda e: str(e.submission_id) == submission["id"],
    )  # fmt: skip
    mine = [e for e in sent if str(e.submission_id) == submission["id"]]
    assert [(e.suite_version, e.notify) for e in mine] == [(2, True), (3, True)]

    put = await gateway.put(
        f"/v1/submissions/{submission['id']}/override", json={"score": 3, "reason": "r"}, headers=teacher
    )
    assert put.status_code == 422 and put.json()["fields"][0]["field"] == "score", "at most max_score"
    put = await gateway.put(
        f"/v1/submissions/{submission['id']}/override",
        json={"score": 2, "reason": "a late day granted"},
        headers=teacher,
    )
    assert put.status_code == 204
    await _grade(infra, submission, room, 0, version=3, regrade_id=uuid.UUID(regrade["id"]))
    await _grade(infra, submission, room, 2, version=2)  # late: an earlier version changes nothing
    view = await _seen(gateway, student, submission["id"], lambda v: v["suite_version"] == 3)
    assert (view["score"], view["grade"], view["override"]["reason"]) == (0, 2, "a late day granted")
    progress = (await gateway.get(f"/v1/regrades/{regrade['id']}", headers=teacher)).json()
    assert (progress["done"], progress["total"]) == (1, 1)
    assert (await gateway.get(f"/v1/regrades/{regrade['id']}", headers=student)).status_code == 404
    await asyncio.sleep(0.5)
    history = (await gateway.get(f"/v1/submissions/{submission['id']}/grades", headers=student)).json()
    assert [(h["kind"], h["suite_version"], h["score"]) for h in history] == [
        ("graded", 2, 1), ("override", None, 2), ("regraded", 3, 0)
    ]  # fmt: skip
    book = (await gateway.get(f"/v1/courses/{room.course_id}/gradebook", headers=teacher)).json()
    [row] = book["items"]
    assert [(c["grade"], c["overridden"]) for c in row["grades"]] == [(2, True)]

    archived = await gateway.delete(url, headers=teacher)
    assert archived.status_code == 204
    listed = (await gateway.get(f"/v1/courses/{room.course_id}/assignments", headers=student)).json()
    assert room.assignment_id not in [a["id"] for a in listed["items"]]
    shelved = (
        await gateway.get(f"/v1/courses/{room.course_id}/assignments?archived=true", headers=teacher)
    ).json()
    assert [a["id"] for a in shelved["items"]] == [room.assignment_id]
    late = await gateway.post("/v1/submissions", json=body, headers=student)
    assert late.status_code == 409 and late.json()["fields"][0]["field"] == "assignment_id"
    kept = await gateway.get(f"/v1/submissions/{submission['id']}", headers=student)
    assert kept.status_code == 200, "archived, not deleted"

"""Course events through the HTTP API and PostgreSQL: a teacher's event is answered 202 at once
with its row and its outbox event committed together; a student's is refused; bad input is a 422
naming the field, with nothing stored."""

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.api import classroom, enrol_new
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
EVENT = {"title": "Exam moved", "body": "Now on Friday at 9.", "category": "exam", "audience": "all"}


async def _stored(infra: Infra, course_id: str) -> tuple[int, list[Any]]:
    conn = await asyncpg.connect(infra.admin_url)
    try:
        rows = await conn.fetchval(
            "SELECT count(*) FROM gateway.course_events WHERE course_id = $1", uuid.UUID(course_id)
        )
        staged = await conn.fetch(
            "SELECT body::jsonb AS body FROM gateway.outbox "
            "WHERE routing_key = 'course_event.published' AND body::jsonb->>'course_id' = $1",
            course_id,
        )
    finally:
        await conn.close()
    return rows, [r["body"] for r in staged]


async def test_a_teachers_event_is_accepted_and_announced(gateway: httpx.AsyncClient, infra: Infra) -> None:
    room = await classroom(gateway)
    r = await gateway.post(f"/v1/courses/{room.course_id}/events", json=EVENT, headers=room.teacher)
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert (accepted["priority"], accepted["audience"], accepted["category"]) == ("normal", "all", "exam")
    rows, staged = await _stored(infra, room.course_id)
    assert rows == 1 and len(staged) == 1
    assert '"event_id": "' + accepted["id"] + '"' in staged[0]


async def test_a_student_may_not_publish_an_event(gateway: httpx.AsyncClient, infra: Infra) -> None:
    room = await classroom(gateway)
    _, student = room.students[0]
    r = await gateway.post(f"/v1/courses/{room.course_id}/events", json=EVENT, headers=student)
    assert r.status_code == 403, r.text
    assert await _stored(infra, room.course_id) == (0, [])


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown category", {"category": "party"}, "category"),
    ("unknown audience", {"audience": "everyone"}, "audience"),
    ("empty title", {"title": ""}, "title"),
    ("NUL in the body", {"body": "a\x00b"}, "body"),
    ("body too long", {"body": "x" * 20_001}, "body"),
    ("unknown field", {"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("case", "change", "field"), CASES, ids=[c[0] for c in CASES])
async def test_a_bad_event_is_refused_naming_the_field(
    gateway: httpx.AsyncClient, infra: Infra, case: str, change: dict[str, Any], field: str
) -> None:
    room = await classroom(gateway)
    r = await gateway.post(
        f"/v1/courses/{room.course_id}/events", json={**EVENT, **change}, headers=room.teacher
    )
    assert r.status_code == 422, r.text
    assert field in [f["field"] for f in r.json()["fields"]]
    assert await _stored(infra, room.course_id) == (0, [])


async def test_each_member_lists_only_the_events_for_their_audience(gateway: httpx.AsyncClient) -> None:
    room = await classroom(gateway)
    _, student = room.students[0]
    [(_, parent)] = await enrol_new(
        gateway, room.course_id, room.teacher, [("parent", "parent", room.students[0].email)]
    )
    for audience in ("all", "students", "teachers", "parents"):
        body = {**EVENT, "title": f"for {audience}", "audience": audience}
        r = await gateway.post(f"/v1/courses/{room.course_id}/events", json=body, headers=room.teacher)
        assert r.status_code == 202, r.text

    async def titles(who: dict[str, str]) -> set[str]:
        page = await gateway.get(f"/v1/courses/{room.course_id}/events", headers=who)
        assert page.status_code == 200, page.text
        return {item["title"] for item in page.json()["items"]}

    assert await titles(student) == {"for all", "for students"}
    assert await titles(parent) == {"for all", "for parents"}
    assert await titles(room.teacher) == {"for all", "for students", "for teachers", "for parents"}

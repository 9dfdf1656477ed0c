"""Roster import through the HTTP API and PostgreSQL: a CSV of thousands enrolls every line in one
request and stages the notifier's copy a thousand members a message; one bad line imports nothing
and is named with its line and field."""

import uuid

import asyncpg
import httpx
import pytest

from tests.support.api import classroom, login
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
HEADER = "name,email,role,child_email\n"


async def _counts(infra: Infra, course_id: str) -> tuple[int, int]:
    conn = await asyncpg.connect(infra.admin_url)
    try:
        enrolled = await conn.fetchval(
            "SELECT count(*) FROM gateway.enrollments WHERE course_id = $1", uuid.UUID(course_id)
        )
        staged = await conn.fetchval(
            "SELECT coalesce(sum(jsonb_array_length(body::jsonb->'members')), 0) FROM gateway.outbox "
            "WHERE routing_key = 'enrollments.changed' AND body::jsonb->>'course_id' = $1",
            course_id,
        )
    finally:
        await conn.close()
    return int(enrolled), int(staged)


def _roster(n: int, tag: str) -> str:
    lines = [f"Student {i},s{i}.{tag}@example.com,student," for i in range(n)]
    lines += [f"Parent {i},p{i}.{tag}@example.com,parent,s{i}.{tag}@example.com" for i in range(n // 10)]
    return HEADER + "\n".join(lines) + "\n"


async def test_a_roster_of_thousands_is_imported_in_one_request(
    gateway: httpx.AsyncClient, infra: Infra
) -> None:
    room = await classroom(gateway, students=0)
    before = await _counts(infra, room.course_id)
    r = await gateway.post(
        f"/v1/courses/{room.course_id}/roster",
        content=_roster(5000, uuid.uuid4().hex[:8]).encode(),
        headers={**room.teacher, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 5500, "students": 5000, "teachers": 0, "parents": 500}
    enrolled, staged = await _counts(infra, room.course_id)
    assert (enrolled - before[0], staged - before[1]) == (5500, 5500)


async def test_one_bad_line_imports_nothing_and_is_named(gateway: httpx.AsyncClient, infra: Infra) -> None:
    room = await classroom(gateway, students=0)
    tag = uuid.uuid4().hex[:8]
    lines = _roster(300, tag).splitlines()
    lines[151] = f"Broken,broken.{tag}@,student,"  # line 152 of the file
    before = await _counts(infra, room.course_id)
    r = await gateway.post(
        f"/v1/courses/{room.course_id}/roster",
        content="\n".join(lines).encode(),
        headers={**room.teacher, "Content-Type": "text/csv"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["fields"] == [
        {"line": 152, "field": "email", "message": f"not an email address: 'broken.{tag}@'"}
    ]
    assert await _counts(infra, room.course_id) == before


async def test_a_student_may_not_import_a_roster(gateway: httpx.AsyncClient) -> None:
    room = await classroom(gateway)
    _, student = room.students[0]
    r = await gateway.post(
        f"/v1/courses/{room.course_id}/roster",
        content=HEADER.encode() + b"A,a@example.com,student,\n",
        headers={**student, "Content-Type": "text/csv"},
    )
    assert r.status_code == 403, r.text


async def test_a_roster_never_renames_or_takes_in_a_stranger(gateway: httpx.AsyncClient) -> None:
    """Any logged-in user may make a course: a roster naming someone else's existing account is
    refused for that line — the account keeps its name and is enrolled in nothing."""
    victim_id, victim = await login(gateway, "Victim")
    email = (await gateway.get("/v1/users/me", headers=victim)).json()["email"]
    room = await classroom(gateway, students=0)
    r = await gateway.post(
        f"/v1/courses/{room.course_id}/roster",
        content=(HEADER + f"Account suspended - see link,{email},student,\n").encode(),
        headers={**room.teacher, "Content-Type": "text/csv"},
    )
    assert r.status_code == 422 and r.json()["fields"][0] == {
        "line": 2,
        "field": "email",
        "message": r.json()["fields"][0]["message"],
    }, r.text
    assert "do not teach" in r.json()["fields"][0]["message"]
    me = (await gateway.get("/v1/users/me", headers=victim)).json()
    assert (me["id"], me["name"]) == (victim_id, "Victim")
    assert (await gateway.get("/v1/courses", headers=victim)).json()["items"] == []
    enrol = {"user_id": victim_id, "role": "student"}
    r = await gateway.post(f"/v1/courses/{room.course_id}/enrollments", json=enrol, headers=room.teacher)
    assert r.status_code == 403 and r.json()["fields"][0]["field"] == "user_id"

"""Collections through the HTTP API and PostgreSQL, a page at a time by cursor, each only as far as
the caller may see: their courses; a course's assignments and events for its members; their own
submissions; an assignment's submissions for its teachers — all, or each student's latest or best."""

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from gradeflow_shared.auth import Tokens
from tests.support.api import classroom, enrol_new, login
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


async def _all_pages(
    client: httpx.AsyncClient, path: str, auth: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        page = await client.get(
            path, headers=auth, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("no last page")


async def test_courses_assignments_and_events_page_for_members_only(gateway: httpx.AsyncClient) -> None:
    room = await classroom(gateway, students=1)
    _, student = room.students[0]
    _, outsider = await login(gateway, "outsider")
    for i in range(2):
        r = await gateway.post("/v1/courses", json={"title": f"Extra {i}"}, headers=room.teacher)
        assert r.status_code == 201
    courses = await _all_pages(gateway, "/v1/courses", room.teacher)
    assert [c["title"] for c in courses] == ["Extra 1", "Extra 0", "Algorithms"] and {
        c["role"] for c in courses
    } == {"teacher"}
    assert [c["id"] for c in await _all_pages(gateway, "/v1/courses", student)] == [room.course_id]
    for i in range(2):
        body = {"title": f"More {i}", "tests": [{"stdin": "", "expected_stdout": "x\n"}]}
        assert (
            await gateway.post(f"/v1/courses/{room.course_id}/assignments", json=body, headers=room.teacher)
        ).status_code == 201
    path = f"/v1/courses/{room.course_id}/assignments"
    assert [a["title"] for a in await _all_pages(gateway, path, student)] == ["More 1", "More 0", "Sum 1..n"]
    assert (await gateway.get(path, headers=outsider)).status_code == 404
    for title in ("First", "Second", "Third"):
        event = {"title": title, "body": "b", "category": "announcement"}
        assert (
            await gateway.post(f"/v1/courses/{room.course_id}/events", json=event, headers=room.teacher)
        ).status_code == 202
    events = await _all_pages(gateway, f"/v1/courses/{room.course_id}/events", student)
    assert [e["title"] for e in events] == ["Third", "Second", "First"]
    bad = await gateway.get("/v1/courses", headers=student, params={"cursor": "junk!"})
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "cursor"


async def test_an_assignments_submissions_all_latest_or_best_per_student(
    gateway: httpx.AsyncClient, infra: Infra
) -> None:
    room = await classroom(gateway, students=2)
    (ada_id, ada), (bo_id, bo) = room.students
    body = {"assignment_id": room.assignment_id, "language": "python", "source": "print(1)"}
    ids: dict[str, list[str]] = {ada_id: [], bo_id: []}
    for who, auth in ((ada_id, ada), (ada_id, ada), (ada_id, ada), (bo_id, bo)):
        r = await gateway.post("/v1/submissions", json=body, headers=auth)
        assert r.status_code == 202
        ids[who].append(r.json()["id"])
    # Graded as the grader would: Ada's second is her best, her third her latest.
    conn = await asyncpg.connect(infra.admin_url)
    try:
        for sid, score in zip([*ids[ada_id], *ids[bo_id]], (3, 9, 5, 7), strict=True):
            await conn.execute(
                "UPDATE gateway.submissions SET status = 'graded', score = $2, max_score = 10 WHERE id = $1",
                uuid.UUID(sid), score,
            )  # fmt: skip
    finally:
        await conn.close()
    path = f"/v1/assignments/{room.assignment_id}/submissions"
    every = await _all_pages(gateway, path, room.teacher)
    assert [s["id"] for s in every] == [*reversed(ids[bo_id]), *reversed(ids[ada_id])]
    latest = {
        s["student_id"]: s["id"] for s in await _all_pages(gateway, path, room.teacher, per_student="latest")
    }
    assert latest == {ada_id: ids[ada_id][2], bo_id: ids[bo_id][0]}
    best = {
        s["student_id"]: s["score"] for s in await _all_pages(gateway, path, room.teacher, per_student="best")
    }
    assert best == {ada_id: 9, bo_id: 7}
    assert (await gateway.get(path, headers=ada)).status_code == 403, "a teacher's view"
    mine = await _all_pages(gateway, "/v1/submissions", ada, assignment_id=room.assignment_id)
    assert [s["id"] for s in mine] == list(reversed(ids[ada_id])), "only her own"
    assert all("tests" not in s for s in mine)


async def test_a_courses_members_page_for_its_teachers_and_every_user_for_admins(
    gateway: httpx.AsyncClient, infra: Infra
) -> None:
    room = await classroom(gateway, students=3)
    followed = room.students[1].user_id
    [(parent_id, parent)] = await enrol_new(
        gateway, room.course_id, room.teacher, [("parent", "parent", room.students[1].email)]
    )
    path = f"/v1/courses/{room.course_id}/enrollments"
    members = await _all_pages(gateway, path, room.teacher)
    assert [m["role"] for m in members] == ["parent", "student", "student", "student", "teacher"]
    assert members[0]["user_id"] == parent_id and members[0]["children"] == [followed]
    assert all(m["children"] == [] for m in members[1:]) and all("@" in m["email"] for m in members)
    students = await _all_pages(gateway, path, room.teacher, role="student")
    assert {m["user_id"] for m in students} == {uid for uid, _ in room.students}
    assert (await gateway.get(path, headers=room.students[0][1])).status_code == 403, "a student: not theirs"
    _, outsider = await login(gateway, "outsider")
    assert (await gateway.get(path, headers=outsider)).status_code == 404

    me = await gateway.get("/v1/users/me", headers=parent)
    assert me.status_code == 200 and me.json()["id"] == parent_id
    assert (await gateway.get("/v1/users", headers=room.teacher)).status_code == 403, "admins only"
    admin = {"Authorization": f"Bearer {Tokens(infra.secret).issue(uuid.uuid4(), admin=True)}"}
    everyone = await gateway.get("/v1/users", headers=admin, params={"limit": 3})
    assert (
        everyone.status_code == 200 and len(everyone.json()["items"]) == 3 and everyone.json()["next_cursor"]
    )
    one = await gateway.get("/v1/users", headers=admin, params={"email": me.json()["email"].upper()})
    assert [u["id"] for u in one.json()["items"]] == [parent_id]

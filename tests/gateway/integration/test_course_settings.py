"""Course settings and parents through the HTTP API and PostgreSQL: a teacher turns grades to
parents on (announced as course.changed in the same commit), a student may not; a parent enrolled
with two children follows both and sees each one's submission, not another student's."""

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.api import classroom, enrol_new
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


async def _announced(infra: Infra, course_id: str) -> list[Any]:
    conn = await asyncpg.connect(infra.admin_url)
    try:
        rows = await conn.fetch(
            "SELECT body::jsonb AS body FROM gateway.outbox WHERE routing_key = 'course.changed'"
            " AND body::jsonb->>'course_id' = $1 ORDER BY created_at",
            course_id,
        )
    finally:
        await conn.close()
    return [r["body"] for r in rows]


async def test_a_teacher_turns_grades_to_parents_on_and_the_notifier_is_told(
    gateway: httpx.AsyncClient, infra: Infra
) -> None:
    room = await classroom(gateway)
    assert len(await _announced(infra, room.course_id)) == 1, "announced when created"
    _, student = room.students[0]
    refused = await gateway.patch(
        f"/v1/courses/{room.course_id}", json={"grades_to_parents": True}, headers=student
    )
    assert refused.status_code == 403
    r = await gateway.patch(
        f"/v1/courses/{room.course_id}", json={"grades_to_parents": True}, headers=room.teacher
    )
    assert r.status_code == 200, r.text
    assert r.json()["grades_to_parents"] is True and r.json()["title"] == "Algorithms"
    announced = await _announced(infra, room.course_id)
    assert len(announced) == 2 and '"grades_to_parents": true' in announced[-1]
    bad = await gateway.patch(
        f"/v1/courses/{room.course_id}", json={"grades_to_parents": "maybe"}, headers=room.teacher
    )
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "grades_to_parents"
    unknown = await gateway.patch(f"/v1/courses/{uuid.uuid4()}", json={"title": "X"}, headers=room.teacher)
    assert unknown.status_code == 404


async def test_a_parent_of_two_children_sees_each_ones_submission_only(gateway: httpx.AsyncClient) -> None:
    room = await classroom(gateway, students=3)
    (ada, ada_auth), (bo, bo_auth), (_, cy_auth) = room.students
    # The roster makes the parent, following Ada; enrolled again with Bo, they follow both.
    [(parent, parent_auth)] = await enrol_new(
        gateway, room.course_id, room.teacher, [("parent", "parent", room.students[0].email)]
    )
    body = {"user_id": parent, "role": "parent", "student_id": bo}
    r = await gateway.post(f"/v1/courses/{room.course_id}/enrollments", json=body, headers=room.teacher)
    assert r.status_code == 201, r.text
    assert sorted(r.json()["children"]) == sorted([ada, bo])
    submitted = {}
    for name, auth in (("ada", ada_auth), ("bo", bo_auth), ("cy", cy_auth)):
        body = {"assignment_id": room.assignment_id, "language": "python", "source": "print(1)"}
        r = await gateway.post("/v1/submissions", json=body, headers=auth)
        assert r.status_code == 202, r.text
        submitted[name] = r.json()["id"]
    seen = {
        n: (await gateway.get(f"/v1/submissions/{s}", headers=parent_auth)).status_code
        for n, s in submitted.items()
    }
    assert seen == {"ada": 200, "bo": 200, "cy": 404}

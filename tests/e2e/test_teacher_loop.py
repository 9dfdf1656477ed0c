"""The teacher's loop, the four services as real processes: an assignment published with a wrong
expected output; 30 students submit (ten of them twice); the teacher fixes the test and regrades
each student's latest submission. Exactly the students whose latest grade moved are told, once
each — in the inbox and by email (the SMTP sink) —, the others not at all; a grade a teacher
overrode (with a reason) stays as overridden and its student is not told; asking the regrade again
changes nothing; the gradebook CSV has the new grades and the override."""

import asyncio
import csv
import io
from typing import Any

import httpx
import pytest

from tests.support.api import Member, classroom
from tests.support.smtp import FlakySink
from tests.support.waiting import until

pytestmark = pytest.mark.e2e

RIGHT = "n = int(input())\nprint(n * (n + 1) // 2)\n"
ONE = "input()\nprint(1)\n"  # right for n = 1 only
TESTS = [
    {"stdin": "1\n", "expected_stdout": "1\n"},
    {"stdin": "2\n", "expected_stdout": "4\n"},  # wrong: 1 + 2 is 3
]
FIXED = [TESTS[0], {"stdin": "2\n", "expected_stdout": "3\n"}]


async def _graded(gateway: httpx.AsyncClient, student: Member, submission: str) -> dict[str, Any]:
    r = await gateway.get(f"/v1/submissions/{submission}", headers=student.auth)
    body: dict[str, Any] = r.json()
    return body if body["status"] == "graded" else {}


async def _grade_notes(gateway: httpx.AsyncClient, student: Member) -> list[str]:
    r = await gateway.get("/v1/notifications", headers=student.auth, params={"limit": 50})
    return [n["title"] for n in r.json()["items"] if n["kind"] == "submission.graded"]


def _regrade_mails(mail: FlakySink, addresses: set[str]) -> dict[str, int]:
    counts = dict.fromkeys(addresses, 0)
    for message in list(mail.messages):
        to = str(message["To"])
        if to in counts and "regraded" in str(message["Subject"]):
            counts[to] += 1
    return counts


async def test_fix_a_test_regrade_the_latest_tell_only_whose_grade_moved(
    gateway: httpx.AsyncClient, mail: FlakySink
) -> None:
    room = await classroom(gateway, students=30, tests=TESTS)
    # right (moves 1 → 2); always 1 (stays 1); twice: 1 then right (moves); twice: right then 1 (stays)
    moves, stays = room.students[:10], room.students[10:20]
    twice_moves, twice_stays = room.students[20:25], room.students[25:]
    plan = [(s, [RIGHT]) for s in moves] + [(s, [ONE]) for s in stays]
    plan += [(s, [ONE, RIGHT]) for s in twice_moves] + [(s, [RIGHT, ONE]) for s in twice_stays]
    latest: dict[str, str] = {}
    for student, sources in plan:
        for source in sources:
            body = {"assignment_id": room.assignment_id, "language": "python", "source": source}
            r = await gateway.post("/v1/submissions", json=body, headers=student.auth)
            assert r.status_code == 202, r.text
            latest[student.user_id] = r.json()["id"]
            await until(lambda: _graded(gateway, student, r.json()["id"]), "graded")  # noqa: B023
    for student, sources in plan:  # each first grade told (a note per submission) before the fix
        await until(
            lambda: _at_least(gateway, student, len(sources)),  # noqa: B023
            f"{student.email}'s grade notifications",
        )
    overridden = moves[0]
    put = await gateway.put(
        f"/v1/submissions/{latest[overridden.user_id]}/override",
        json={"score": 0, "reason": "copied from another student"},
        headers=room.teacher,
    )
    assert put.status_code == 204, put.text
    mails_before = _regrade_mails(mail, {s.email for s in room.students})
    assert set(mails_before.values()) == {0}

    fixed = await gateway.patch(
        f"/v1/assignments/{room.assignment_id}", json={"tests": FIXED}, headers=room.teacher
    )
    assert fixed.status_code == 200 and fixed.json()["suite_version"] == 2, fixed.text
    asked = await gateway.post(
        f"/v1/assignments/{room.assignment_id}/regrades", json={"scope": "latest"}, headers=room.teacher
    )
    assert asked.status_code == 202, asked.text
    regrade = asked.json()
    assert (regrade["total"], regrade["suite_version"]) == (30, 2)

    async def finished() -> dict[str, Any]:
        progress = (await gateway.get(f"/v1/regrades/{regrade['id']}", headers=room.teacher)).json()
        return progress if progress["done"] == progress["total"] else {}

    await until(finished, "the regrade done")
    told = [*moves[1:], *twice_moves]
    for student in told:
        await until(lambda: _regraded(gateway, student), f"{student.email} told")  # noqa: B023
    again = await gateway.post(
        f"/v1/assignments/{room.assignment_id}/regrades", json={"scope": "latest"}, headers=room.teacher
    )
    assert again.status_code == 202 and again.json()["id"] == regrade["id"], "asked twice: one regrade"
    assert again.json()["done"] == 30
    await asyncio.sleep(5)  # anything wrongly sent would have arrived by now

    notes = {s.email: len(await _regraded(gateway, s)) for s in room.students}
    expected = {s.email: int(s in told) for s in room.students}
    assert notes == expected, "inbox: one note for each student whose grade moved, none for the others"
    mails = _regrade_mails(mail, set(expected))
    assert mails == expected, "email: the same"

    book = await gateway.get(f"/v1/courses/{room.course_id}/gradebook.csv", headers=room.teacher)
    assert book.status_code == 200 and book.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(book.text)))
    grades = {row[2]: row[3] for row in rows[1:]}
    want = {s.email: "2" for s in [*moves, *twice_moves]} | {s.email: "1" for s in [*stays, *twice_stays]}
    want[overridden.email] = "0"  # the override survived the regrade
    assert grades == want
    seen = (
        await gateway.get(f"/v1/submissions/{latest[overridden.user_id]}", headers=overridden.auth)
    ).json()
    assert seen["grade"] == 0 and seen["override"]["reason"] == "copied from another student"
    assert seen["score"] == 2 and seen["suite_version"] == 2, "regraded underneath, the override shown"
    history = (
        await gateway.get(f"/v1/submissions/{latest[overridden.user_id]}/grades", headers=overridden.auth)
    ).json()
    assert [h["kind"] for h in history] == ["graded", "override", "regraded"]


async def _at_least(gateway: httpx.AsyncClient, student: Member, n: int) -> bool:
    return len(await _grade_notes(gateway, student)) >= n


async def _regraded(gateway: httpx.AsyncClient, student: Member) -> list[str]:
    return [t for t in await _grade_notes(gateway, student) if "regraded" in t]


async def test_a_corrected_then_cancelled_event_is_told_once_each_and_a_removed_student_keeps_their_work(
    gateway: httpx.AsyncClient,
) -> None:
    room = await classroom(gateway, students=2)
    (_, ada), (bo_id, bo) = room.students
    events = f"/v1/courses/{room.course_id}/events"
    body = {"title": "Exam", "body": "Friday, room 4.", "category": "exam", "audience": "students"}
    event = (await gateway.post(events, json=body, headers=room.teacher)).json()

    async def titles(auth: dict[str, str]) -> list[str]:
        r = await gateway.get("/v1/notifications", headers=auth, params={"limit": 50})
        return sorted(n["title"] for n in r.json()["items"] if n["kind"] != "submission.graded")

    await until(lambda: _has(titles, ada, 1), "the event told")
    for _ in range(2):  # the same correction twice: told once
        fixed = await gateway.patch(
            f"{events}/{event['id']}", json={"title": "Exam moved"}, headers=room.teacher
        )
        assert fixed.status_code == 200 and fixed.json()["revision"] == 1, fixed.text
    for _ in range(2):  # cancelled twice: told once
        assert (await gateway.delete(f"{events}/{event['id']}", headers=room.teacher)).status_code == 204
    again = await gateway.patch(f"{events}/{event['id']}", json={"body": "Monday"}, headers=room.teacher)
    assert again.status_code == 409, "a cancelled event is not corrected"
    for auth in (ada, bo):
        await until(lambda: _has(titles, auth, 3), "the correction and the cancel told")  # noqa: B023
    await asyncio.sleep(3)
    expected = ["Cancelled: Exam moved", "Corrected: Exam moved", "Exam"]
    assert await titles(ada) == expected and await titles(bo) == expected

    body = {"assignment_id": room.assignment_id, "language": "python", "source": RIGHT}
    mine = (await gateway.post("/v1/submissions", json=body, headers=bo)).json()
    removed = await gateway.delete(f"/v1/courses/{room.course_id}/enrollments/{bo_id}", headers=room.teacher)
    assert removed.status_code == 204
    assert (await gateway.get(f"/v1/courses/{room.course_id}/assignments", headers=bo)).status_code == 404
    refused = await gateway.post("/v1/submissions", json=body, headers=bo)
    assert refused.status_code in (403, 404), "no longer a student of the course"
    kept = await gateway.get(f"/v1/submissions/{mine['id']}", headers=bo)
    assert kept.status_code == 200, "their own work stays theirs to read"
    members = (await gateway.get(f"/v1/courses/{room.course_id}/enrollments", headers=room.teacher)).json()
    assert bo_id not in [m["user_id"] for m in members["items"]]
    me = (await gateway.get("/v1/users/me", headers=room.teacher)).json()["id"]
    alone = await gateway.delete(f"/v1/courses/{room.course_id}/enrollments/{me}", headers=room.teacher)
    assert alone.status_code == 409, "a course keeps at least one teacher"


async def _has(titles: Any, auth: dict[str, str], n: int) -> bool:
    return len(await titles(auth)) >= n

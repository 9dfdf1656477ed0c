"""Factory helpers that build catalogue data through the public API, as a client would."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

SUM_TESTS = [
    {"stdin": f"{n}\n", "expected_stdout": f"{n * (n + 1) // 2}\n", "weight": w, "hidden": h}
    for n, w, h in ((1, 1, False), (2, 1, False), (10, 2, False), (100, 3, True), (1000, 3, True))
]
CORRECT = "n = int(input())\nprint(sum(range(1, n + 1)))\n"
WRONG = "n = int(input())\nprint(n * n)\n"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(
    client: httpx.AsyncClient, who: str = "user", email: str | None = None
) -> tuple[str, dict[str, str]]:
    email = email or fresh_email(who)
    r = await client.post("/v1/auth/dev-login", json={"email": email, "name": who})
    assert r.status_code == 200, r.text
    body = r.json()
    return body["user_id"], bearer(body["token"])


def fresh_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


async def enrol_new(
    client: httpx.AsyncClient,
    course_id: str,
    teacher: dict[str, str],
    people: list[tuple[str, str]] | list[tuple[str, str, str]],
) -> list[Member]:
    """New accounts made and enrolled by the teacher's roster — (name, role[, the email of the
    student a parent follows]) each — then each logged in. (A teacher enrols only accounts they
    teach or make: an existing stranger is an admin's to enrol.)"""
    if not people:
        return []
    emails = [fresh_email(person[0]) for person in people]
    lines = [
        f"{person[0]},{email},{person[1]},{person[2] if len(person) > 2 else ''}"
        for email, person in zip(emails, people, strict=True)
    ]
    r = await client.post(
        f"/v1/courses/{course_id}/roster",
        content="name,email,role,child_email\n" + "\n".join(lines) + "\n",
        headers={**teacher, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    members = []
    for email, person in zip(emails, people, strict=True):
        user_id, auth = await login(client, person[0], email)
        members.append(Member(user_id, auth, email))
    return members


@dataclass(frozen=True)
class Member:
    """A course member as a client sees them; unpacks as (user id, headers), as `login` answers."""

    user_id: str
    auth: dict[str, str]
    email: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.user_id, self.auth))

    def __getitem__(self, index: int) -> Any:
        return (self.user_id, self.auth)[index]


@dataclass
class Classroom:
    course_id: str
    assignment_id: str
    teacher: dict[str, str]
    students: list[Member]


async def classroom(
    client: httpx.AsyncClient, students: int = 1, tests: list[dict[str, Any]] | None = None
) -> Classroom:
    _, teacher = await login(client, "teacher")
    r = await client.post("/v1/courses", json={"title": "Algorithms"}, headers=teacher)
    assert r.status_code == 201, r.text
    course_id = r.json()["id"]
    r = await client.post(
        f"/v1/courses/{course_id}/assignments",
        json={"title": "Sum 1..n", "tests": tests or SUM_TESTS},
        headers=teacher,
    )
    assert r.status_code == 201, r.text
    assignment_id = r.json()["id"]
    people = await enrol_new(
        client, course_id, teacher, [(f"student{i}", "student") for i in range(students)]
    )
    return Classroom(course_id, assignment_id, teacher, people)

"""Factory helpers that build catalogue data through the public API, as a client would."""

import uuid
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


async def login(client: httpx.AsyncClient, who: str = "user") -> tuple[str, dict[str, str]]:
    email = f"{who}-{uuid.uuid4().hex[:8]}@example.com"
    r = await client.post("/v1/auth/dev-login", json={"email": email, "name": who})
    assert r.status_code == 200, r.text
    body = r.json()
    return body["user_id"], bearer(body["token"])


@dataclass
class Classroom:
    course_id: str
    assignment_id: str
    teacher: dict[str, str]
    students: list[tuple[str, dict[str, str]]]


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
    people = [await login(client, f"student{i}") for i in range(students)]
    for user_id, _ in people:
        r = await client.post(
            f"/v1/courses/{course_id}/enrollments",
            json={"user_id": user_id, "role": "student"},
            headers=teacher,
        )
        assert r.status_code == 201, r.text
    return Classroom(course_id, assignment_id, teacher, people)

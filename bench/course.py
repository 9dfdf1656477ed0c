"""What the load benchmarks share: a free port, and a course with a 5-test Python assignment and
enrolled students, made through the gateway's API."""

import socket
import time

import httpx

SUM_TESTS = [
    {"stdin": f"{n}\n", "expected_stdout": f"{n * (n + 1) // 2}\n", "weight": 1, "hidden": n > 50}
    for n in (1, 2, 10, 100, 1000)
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def login(client: httpx.AsyncClient, who: str) -> tuple[str, str]:
    """(user id, bearer token) of a development login."""
    r = await client.post("/v1/auth/dev-login", json={"email": f"{who}@example.com", "name": who})
    r.raise_for_status()
    return r.json()["user_id"], r.json()["token"]


async def course_with_students(client: httpx.AsyncClient, students: int) -> tuple[str, list[str]]:
    """(the assignment's id, a token per enrolled student)."""
    tag = str(time.time_ns())
    _, teacher_token = await login(client, f"teacher-{tag}")
    teacher = {"Authorization": f"Bearer {teacher_token}"}
    course = (await client.post("/v1/courses", json={"title": "Bench"}, headers=teacher)).json()
    assignment = (
        await client.post(
            f"/v1/courses/{course['id']}/assignments",
            json={"title": "Sum", "tests": SUM_TESTS},
            headers=teacher,
        )
    ).json()
    tokens = []
    for i in range(students):
        uid, token = await login(client, f"s{i}-{tag}")
        r = await client.post(
            f"/v1/courses/{course['id']}/enrollments",
            json={"user_id": uid, "role": "student"},
            headers=teacher,
        )
        r.raise_for_status()
        tokens.append(token)
    return assignment["id"], tokens

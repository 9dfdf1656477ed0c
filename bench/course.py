"""What the load benchmarks share: a free port, and a course with a 5-test Python assignment and
enrolled students, made through the gateway's API."""

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import Iterator

import asyncpg
import httpx

from gradeflow_tools.roster import import_students
from gradeflow_tools.scratch import provisioned_infra
from gradeflow_tools.stack import SERVICES, Stack, StackConfig


def sum_tests(*ns: int) -> list[dict[str, object]]:
    """Tests of "print the sum of 1..n", one per n (those past 50 hidden)."""
    return [
        {"stdin": f"{n}\n", "expected_stdout": f"{n * (n + 1) // 2}\n", "weight": 1, "hidden": n > 50}
        for n in ns
    ]


SUM_TESTS = sum_tests(1, 2, 10, 100, 1000)


async def outbox_drained(conn: asyncpg.Connection, timeout: float = 120.0) -> dict[str, float]:
    """Wait until the gateway's relay has published every event staged so far: how many were
    unpublished when called, and how long they took."""
    started = time.monotonic()
    query = "SELECT count(*) FROM gateway.outbox WHERE published_at IS NULL"
    backlog = left = await conn.fetchval(query)
    while left:
        if time.monotonic() - started > timeout:
            raise TimeoutError("the gateway's outbox was not drained")
        await asyncio.sleep(0.1)
        left = await conn.fetchval(query)
    return {"unpublished": backlog, "seconds": round(time.monotonic() - started, 2)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def login(client: httpx.AsyncClient, who: str) -> tuple[str, str]:
    """(user id, bearer token) of a development login."""
    r = await client.post("/v1/auth/dev-login", json={"email": f"{who}@example.com", "name": who})
    r.raise_for_status()
    return r.json()["user_id"], r.json()["token"]


async def course_with_students(
    client: httpx.AsyncClient, students: int, tests: list[dict[str, object]] = SUM_TESTS
) -> tuple[str, list[str]]:
    """(the assignment's id, a token per enrolled student)."""
    tag = str(time.time_ns())
    _, teacher_token = await login(client, f"teacher-{tag}")
    teacher = {"Authorization": f"Bearer {teacher_token}"}
    course = (await client.post("/v1/courses", json={"title": "Bench"}, headers=teacher)).json()
    assignment = (
        await client.post(
            f"/v1/courses/{course['id']}/assignments",
            json={"title": "Sum", "tests": tests},
            headers=teacher,
        )
    ).json()
    people = [(f"S {i}", f"s{i}-{tag}@example.com") for i in range(students)]
    await import_students(client, course["id"], teacher, people)
    return assignment["id"], [(await login(client, f"s{i}-{tag}"))[1] for i in range(students)]


async def roster_course(client: httpx.AsyncClient, n: int) -> tuple[dict[str, str], str, list[str]]:
    """A course of `n` students imported as one roster: (the teacher's headers, the course's id, a
    token per student)."""
    tag = uuid.uuid4().hex[:8]
    _, token = await login(client, f"teacher-{tag}")
    teacher = {"Authorization": f"Bearer {token}"}
    course = (await client.post("/v1/courses", json={"title": "Live"}, headers=teacher)).json()["id"]
    await import_students(client, course, teacher, [(f"S {i}", f"s{i}.{tag}@example.com") for i in range(n)])
    return teacher, course, [(await login(client, f"s{i}.{tag}"))[1] for i in range(n)]


@contextlib.contextmanager
def running_stack(
    extra_env: dict[str, str] | None = None,
) -> Iterator[tuple[StackConfig, str, dict[str, int]]]:
    """The four services as processes on a scratch vhost and database: (their config, the admin
    database URL, each service's pid), stopped after."""
    with provisioned_infra("gradeflow_bench") as infra:
        config = infra.stack_config(ports={s: free_port() for s in SERVICES}, extra_env=extra_env or {})
        stack = Stack(config)
        stack.start()
        time.sleep(2)
        try:
            yield (
                config,
                infra.admin_url,
                {n: p.proc.pid for n, p in stack.processes.items() if p.proc is not None},
            )
        finally:
            stack.stop()

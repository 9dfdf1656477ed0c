"""`make demo`: against a running system, a course with a teacher and 50 students, an assignment
with 5 tests, a mix of correct and wrong solutions, each result printed as it arrives."""

import asyncio
import os
import random
import time
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gradeflow_tools.roster import import_students

STUDENTS = 50
CORRECT = "n = int(input())\nprint(sum(range(1, n + 1)))\n"
WRONG = "n = int(input())\nprint(n * n)\n"
TESTS = [
    {"stdin": f"{n}\n", "expected_stdout": f"{n * (n + 1) // 2}\n", "weight": w, "hidden": h}
    for n, w, h in ((1, 1, False), (2, 1, False), (10, 2, False), (100, 3, True), (1000, 3, True))
]


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def login(self, email: str, name: str) -> tuple[str, dict[str, str]]:
        r = await self.client.post("/v1/auth/dev-login", json={"email": email, "name": name})
        r.raise_for_status()
        body = r.json()
        return body["user_id"], {"Authorization": f"Bearer {body['token']}"}

    async def post(self, path: str, auth: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        r = await self.client.post(path, json=body, headers=auth)
        r.raise_for_status()
        result: dict[str, Any] = r.json()
        return result


async def demo(base_url: str, timeout: float) -> int:
    console = Console()
    run = f"{int(time.time())}-{random.randint(1000, 9999)}"
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        api = Api(client)
        _, teacher = await api.login(f"teacher-{run}@example.com", "Demo Teacher")
        course = await api.post("/v1/courses", teacher, {"title": f"Demo course {run}"})
        assignment = await api.post(
            f"/v1/courses/{course['id']}/assignments",
            teacher,
            {"title": "Sum 1..n", "time_limit_ms": 2000, "tests": TESTS},
        )
        console.print(f"course {course['id']}, assignment {assignment['id']} with {len(TESTS)} tests")
        # The students as the teacher's roster makes them, then each signs in.
        people = [(f"Student {i}", f"student{i}-{run}@example.com") for i in range(STUDENTS)]
        await import_students(client, course["id"], teacher, people)
        students = await asyncio.gather(
            *(api.login(f"student{i}-{run}@example.com", f"Student {i}") for i in range(STUDENTS))
        )
        expected: dict[str, str] = {}
        auth_of: dict[str, dict[str, str]] = {}
        for i, (_, auth) in enumerate(students):
            correct = i % 3 != 2  # two in three right
            sub = await api.post(
                "/v1/submissions",
                auth,
                {
                    "assignment_id": assignment["id"],
                    "language": "python",
                    "source": CORRECT if correct else WRONG,
                },
            )
            expected[sub["id"]] = "accepted" if correct else "wrong_answer"
            auth_of[sub["id"]] = auth
        return await _follow(client, console, expected, auth_of, timeout)


async def _follow(
    client: httpx.AsyncClient,
    console: Console,
    expected: dict[str, str],
    auth_of: dict[str, dict[str, str]],
    timeout: float,
) -> int:
    pending = dict(expected)
    mismatches = 0
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    deadline = time.monotonic() + timeout
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("grading", total=len(expected))
        while pending and time.monotonic() < deadline:
            for sid in list(pending):
                r = await client.get(f"/v1/submissions/{sid}", headers=auth_of[sid])
                body = r.json()
                if body.get("status") != "graded":
                    continue
                ok = body["verdict"] == pending.pop(sid)
                mismatches += not ok
                mark = "[green]✓[/]" if ok else "[red]✗ unexpected[/]"
                progress.console.print(
                    f"{mark} {sid}  {body['verdict']:<14} {body['score']}/{body['max_score']}"
                )
                progress.advance(task)
            await asyncio.sleep(0.3)
    if pending:
        console.print(f"[red]{len(pending)} submissions not graded within {timeout:.0f}s[/]")
    graded = len(expected) - len(pending)
    console.print(f"{graded} graded, {mismatches} unexpected verdicts, {len(pending)} pending")
    return 0 if not pending and not mismatches else 1


def main_cli(
    base_url: str = typer.Option(os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000")),
    timeout: float = typer.Option(180.0, help="Seconds to wait for every result"),
) -> None:
    raise typer.Exit(asyncio.run(demo(base_url, timeout)))


def main() -> None:
    typer.run(main_cli)

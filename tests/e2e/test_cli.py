"""The `gradeflow` command line against the four services as real processes: a student logs in
with their token, lists courses and assignments, submits a file and sees it graded; a teacher
imports a roster (a bad one is refused with its line), regrades an assignment following its
progress and exports the gradebook (a student may do neither); an operator lists the queues."""

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gradeflow_shared.auth import Tokens
from gradeflow_tools.cli import app
from gradeflow_tools.stack import Stack
from tests.support.api import CORRECT, classroom
from tests.support.infra import Infra

pytestmark = pytest.mark.e2e


def _env(stack: Stack, config: Path) -> dict[str, str]:
    return {
        "GRADEFLOW_URL": stack.config.url("gateway"),
        "GRADEFLOW_METRICS_URL": stack.config.url("metrics"),
        "GRADEFLOW_CONFIG": str(config),
        "COLUMNS": "200",
    }


async def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    return result.exit_code, result.output


async def test_a_student_submits_from_the_command_line(
    gateway: httpx.AsyncClient, stack: Stack, tmp_path: Path
) -> None:
    room = await classroom(gateway, students=1)
    _, student = room.students[0]
    env = _env(stack, tmp_path / "student.json")
    code, out = await _run(env, "login", "--token", student["Authorization"].removeprefix("Bearer "))
    assert code == 0, out
    assert json.loads((tmp_path / "student.json").read_text())["token"] in student["Authorization"]
    code, out = await _run(env, "courses")
    assert code == 0 and room.course_id in out and "student" in out, out
    code, out = await _run(env, "assignments", room.course_id)
    assert code == 0 and room.assignment_id in out, out
    source = tmp_path / "sum.py"
    source.write_text(CORRECT)
    code, out = await _run(env, "submit", str(source), "--assignment", room.assignment_id)
    assert code == 0, out
    assert "accepted" in out and "10/10" in out and "hidden" in out, out
    code, out = await _run(env, "submissions", "--assignment", room.assignment_id)
    assert code == 0 and "graded" in out and "10/10" in out, out
    code, out = await _run(env, "submit", str(source), "--assignment", "not-a-uuid")
    assert code == 1 and "422" in out and "assignment_id" in out, out
    code, out = await _run(env, "regrade", room.assignment_id)
    assert code == 1 and "403" in out, "a student regrades nothing"

    teacher = _env(stack, tmp_path / "teacher.json")
    assert (await _run(teacher, "login", "--token", room.teacher["Authorization"].removeprefix("Bearer ")))[
        0
    ] == 0
    tests = [{"stdin": "3\n", "expected_stdout": "6\n", "weight": 4}]  # 4 points now, all passed
    r = await gateway.patch(
        f"/v1/assignments/{room.assignment_id}", json={"tests": tests}, headers=room.teacher
    )
    assert r.status_code == 200, r.text
    code, out = await _run(teacher, "regrade", room.assignment_id, "--scope", "latest")
    assert code == 0 and "against version 2" in out and "done: 1 of 1" in out, out
    book = tmp_path / "book.csv"
    code, out = await _run(teacher, "gradebook", room.course_id, "--out", str(book))
    assert code == 0, out
    header, row = book.read_text().splitlines()
    assert header.startswith("student_id,name,email,") and row.endswith(",4,4"), (header, row)


async def test_a_teacher_imports_a_roster_and_an_operator_sees_the_queues(
    gateway: httpx.AsyncClient, stack: Stack, infra: Infra, tmp_path: Path
) -> None:
    room = await classroom(gateway, students=0)
    env = _env(stack, tmp_path / "teacher.json")
    code, out = await _run(env, "login", "--token", room.teacher["Authorization"].removeprefix("Bearer "))
    assert code == 0, out
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email,role,child_email\nAda,ada-cli@example.com,student,\nBo,nope,student,\n")
    code, out = await _run(env, "roster", "import", room.course_id, str(bad))
    assert code == 1 and "422" in out and "3" in out and "email" in out, out
    good = tmp_path / "good.csv"
    good.write_text(
        "name,email,role,child_email\nAda,ada-cli@example.com,student,\nPa,pa-cli@example.com,parent,ada-cli@example.com\n"
    )
    code, out = await _run(env, "roster", "import", room.course_id, str(good))
    assert code == 0 and "imported 2: 1 students, 0 teachers, 1 parents" in out, out
    code, out = await _run(env, "queues")
    assert code == 1 and "403" in out and "admins" in out, out
    admin = _env(stack, tmp_path / "admin.json")
    assert (await _run(admin, "login", "--token", Tokens(infra.secret).issue(uuid.uuid4(), admin=True)))[
        0
    ] == 0
    env = admin
    code, out = await _run(env, "queues")
    assert code == 0 and "grader.submissions" in out and "excellent" in out, out
    code, out = await _run(env, "alerts")
    assert code == 0 and "Alerts" in out, out
    code, out = await _run(env, "dashboard")
    assert code == 0 and out.strip().startswith(f"{stack.config.url('metrics')}/dashboard#token=ey"), out
    code, out = await _run(env, "dlq", "list", "grader.submissions")
    assert code == 0 and "grader.submissions.dlq" in out, out

"""Hidden tests stay hidden on every channel a student or parent reads a submission through: the
REST item and lists, the live stream, the inbox, emails, webhook bodies and the command line —
with a program that echoes its stdin to both stdout and stderr, the way a student would fish for a
hidden input. One check (`assert_no_hidden`) for them all."""

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from gradeflow_tools.cli import app
from gradeflow_tools.stack import Stack
from tests.e2e.test_cli import _env, _run
from tests.e2e.test_live_results import _statuses
from tests.support.api import classroom, enrol_new
from tests.support.hidden import assert_no_hidden
from tests.support.http_receiver import Receiver, receiver
from tests.support.smtp import FlakySink

__all__ = ["app", "receiver"]
pytestmark = pytest.mark.e2e

ECHO = "import sys\ndata = sys.stdin.read()\nsys.stdout.write(data)\nsys.stderr.write(data)\n"


async def _until(what: str, probe: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout} s")


async def test_no_channel_shows_a_hidden_test(
    gateway: httpx.AsyncClient, stack: Stack, mail: FlakySink, receiver: Receiver, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    hidden = [f"HIDDEN-IN-{tag}", f"HIDDEN-OUT-{tag}"]
    tests = [
        {"stdin": f"visible-{tag}\n", "expected_stdout": f"visible-{tag}\n", "weight": 1, "hidden": False},
        {"stdin": f"{hidden[0]}\n", "expected_stdout": f"{hidden[1]}\n", "weight": 1, "hidden": True},
    ]
    room = await classroom(gateway, students=1, tests=tests)
    student = room.students[0]
    [parent] = await enrol_new(gateway, room.course_id, room.teacher, [("parent", "parent", student.email)])
    r = await gateway.patch(
        f"/v1/courses/{room.course_id}", json={"grades_to_parents": True}, headers=room.teacher
    )
    assert r.status_code == 200, r.text
    # The notifier learns of the student from the roster's event, a moment after the roster's
    # answer: until then it answers 404 (not in any course yet), as a client would see it.
    for _ in range(100):
        r = await gateway.post("/v1/webhooks", json={"url": receiver.url}, headers=student.auth)
        if r.status_code != 404:
            break
        await asyncio.sleep(0.1)
    assert r.status_code == 201, r.text

    body = {"assignment_id": room.assignment_id, "language": "python", "source": ECHO}
    r = await gateway.post("/v1/submissions", json=body, headers=student.auth)
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    streamed = await asyncio.wait_for(_statuses(gateway, f"/v1/submissions/{sid}/events", student.auth), 60)
    assert streamed[-1]["status"] == "graded", streamed

    channels: dict[str, Any] = {"live stream": streamed}
    for who, member in (("student", student), ("parent", parent)):
        item = (await gateway.get(f"/v1/submissions/{sid}", headers=member.auth)).json()
        assert [t["hidden"] for t in item["tests"]] == [False, True], item
        channels[f"{who}'s submission"] = item
        channels[f"{who}'s inbox"] = await _until(
            f"{who}'s notification",
            lambda member=member: _inbox_items(gateway, member.auth),
        )
        channels[f"{who}'s email"] = await _until(
            f"{who}'s email", lambda member=member: _mails(mail, member.email)
        )
    channels["student's list"] = (await gateway.get("/v1/submissions", headers=student.auth)).json()
    channels["student's webhook"] = await _until(
        "a webhook call",
        lambda: asyncio.sleep(0, [c.body.decode() for c in receiver.calls if sid.encode() in c.body]),
    )
    env = _env(stack, tmp_path / "student.json")
    code, out = await _run(env, "login", "--token", student.auth["Authorization"].removeprefix("Bearer "))
    assert code == 0, out
    code, out = await _run(env, "submissions", "--assignment", room.assignment_id)
    assert code == 0 and sid[:8] in out, out
    channels["command line"] = out

    assert f"visible-{tag}" in json.dumps(channels["student's submission"]), "the visible test is shown"
    for channel, seen in channels.items():
        assert_no_hidden(seen, hidden, channel)


async def _inbox_items(gateway: httpx.AsyncClient, auth: dict[str, str]) -> list[Any]:
    page = await gateway.get("/v1/notifications", headers=auth)
    return [item for item in page.json()["items"] if item.get("category") == "grade"]


async def _mails(mail: FlakySink, address: str) -> list[str]:
    return [m.as_string() for m in mail.messages if address in str(m.get("To", ""))]

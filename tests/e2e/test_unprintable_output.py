"""A program's output is the student's to choose: one that prints a NUL byte, invalid UTF-8 and the
UTF-8 form of a lone surrogate is graded and shown — each such byte as U+FFFD (docs/grading.md) — in
its submission, an ad-hoc run, the Judge0 surface, and the student's inbox; a run also keeps the
bytes as written (base64), which Judge0's base64 answer gives back, and which the Jobe surface
escapes as Jobe does (`\\xNN`)."""

import asyncio
import base64
import time

import httpx
import pytest

from tests.e2e.test_runs_and_judge0 import _run_to_completion
from tests.support.api import classroom, login
from tests.support.waiting import wait_graded

pytestmark = pytest.mark.e2e

# "A", NUL, "B", an invalid byte, a CESU-8 surrogate (ED A0 80), "C", newline.
PROGRAM = "import sys\nsys.stdout.buffer.write(b'A\\x00B\\xff\\xed\\xa0\\x80C\\n')\n"
SHOWN = "A\ufffdB\ufffd\ufffd\ufffd\ufffdC\n"
WRITTEN = b"A\x00B\xff\xed\xa0\x80C\n"
JOBE_SHOWN = "A\\x00B\\xff\\xed\\xa0\\x80C\n"  # not UTF-8: byte by byte, as Jobe escapes
TESTS = [{"stdin": "", "expected_stdout": "ABC\n", "weight": 1, "hidden": False}]


async def test_a_submission_that_prints_nul_is_graded_and_reaches_the_student(
    gateway: httpx.AsyncClient,
) -> None:
    room = await classroom(gateway, students=1, tests=TESTS)
    _, student = room.students[0]
    body = {"assignment_id": room.assignment_id, "language": "python", "source": PROGRAM}
    r = await gateway.post("/v1/submissions", json=body, headers=student)
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    view = (await wait_graded(gateway, {sid: student}, timeout=60))[sid]
    assert view["verdict"] == "wrong_answer" and view["tests"][0]["stdout"] == SHOWN, view
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the grade's notification reaches the inbox
        inbox = (await gateway.get("/v1/notifications", headers=student)).json()
        if any(sid in str(item) for item in inbox["items"]):
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"no notification of {sid}: {inbox}")


async def test_runs_judge0_and_jobe_show_it_too(gateway: httpx.AsyncClient) -> None:
    _, auth = await login(gateway, "bytes")
    run = await _run_to_completion(gateway, auth, {"language": "python", "source": PROGRAM})
    assert (run["verdict"], run["stdout"]) == ("accepted", SHOWN), run
    assert base64.b64decode(run["stdout_bytes_b64"]) == WRITTEN, run

    token = {"X-Auth-Token": auth["Authorization"].removeprefix("Bearer ")}
    body = {"source_code": PROGRAM, "language_id": 71}
    judge0 = await gateway.post("/judge0/submissions?wait=true", json=body, headers=token, timeout=60)
    assert judge0.status_code == 201 and judge0.json()["stdout"] == SHOWN, judge0.text
    encoded = {"source_code": base64.b64encode(PROGRAM.encode()).decode(), "language_id": 71}
    raw = await gateway.post(
        "/judge0/submissions?wait=true&base64_encoded=true", json=encoded, headers=token, timeout=60
    )
    assert base64.b64decode(raw.json()["stdout"]) == WRITTEN, raw.text

    key = await gateway.post("/v1/api-keys", json={"name": "Moodle", "scopes": ["runs"]}, headers=auth)
    spec = {"run_spec": {"language_id": "python3", "sourcecode": PROGRAM}}
    jobe = await gateway.post(
        "/jobe/index.php/restapi/runs", json=spec, headers={"X-API-KEY": key.json()["key"]}, timeout=60
    )
    assert jobe.status_code == 200 and jobe.json()["stdout"] == JOBE_SHOWN, jobe.text

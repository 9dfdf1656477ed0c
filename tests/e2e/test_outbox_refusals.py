"""One teacher cannot stop every service's output: an assignment whose event would be too large is
refused at the API naming the field, and an event the broker refuses anyway (here: the broker's
`max_message_size` made small) is parked while the next 100 submissions are graded."""

import contextlib
from collections.abc import Iterator

import httpx
import pytest

from gradeflow_tools.stack import Stack
from tests.support.api import CORRECT, classroom, login
from tests.support.broker_limits import max_message_size
from tests.support.raw_http import MiB, post_huge
from tests.support.waiting import wait_graded

pytestmark = pytest.mark.e2e


def _tests(count: int, text: str) -> list[dict[str, object]]:
    return [{"stdin": text, "expected_stdout": text, "weight": 1, "hidden": True} for _ in range(count)]


async def test_an_assignment_too_large_to_send_is_refused_naming_the_field(
    gateway: httpx.AsyncClient,
) -> None:
    _, teacher = await login(gateway, "teacher")
    course = (await gateway.post("/v1/courses", json={"title": "Big"}, headers=teacher)).json()["id"]
    path = f"/v1/courses/{course}/assignments"
    # 2 tests of twice 500,000 control characters: 2 MB of text, 12 MB as JSON, over 8 MiB.
    r = await gateway.post(path, json={"title": "A", "tests": _tests(2, "\x01" * 500_000)}, headers=teacher)
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "tests", r.text
    # 12 tests of 1 MB of them: a 144 MB body, refused before it is read.
    answer = await post_huge(str(gateway.base_url), path, 144 * MiB, teacher)
    assert answer.startswith(b"HTTP/1.1 413") and b'"field": "body"' in answer, answer[:300]


@contextlib.contextmanager
def _gateway_restarted(stack: Stack) -> Iterator[None]:
    """The gateway's publisher opens its channel afresh (the broker reads its limit per channel)."""
    gateway = stack.processes["gateway"]
    gateway.stop()
    gateway.start()
    gateway.wait_ready()
    yield


async def test_an_event_the_broker_refuses_is_parked_and_the_next_100_submissions_are_graded(
    stack: Stack, gateway: httpx.AsyncClient
) -> None:
    try:
        with max_message_size(1 * MiB), _gateway_restarted(stack):
            _, teacher = await login(gateway, "teacher")
            course = (await gateway.post("/v1/courses", json={"title": "C"}, headers=teacher)).json()["id"]
            big = {"title": "Too big for this broker", "tests": _tests(1, "a" * 700_000)}
            r = await gateway.post(f"/v1/courses/{course}/assignments", json=big, headers=teacher)
            assert r.status_code == 201, r.text  # within the API's bounds: the broker refuses it
            room = await classroom(gateway, students=1)
            _, student = room.students[0]
            ids = []
            for _ in range(100):
                body = {"assignment_id": room.assignment_id, "language": "python", "source": CORRECT}
                r = await gateway.post("/v1/submissions", json=body, headers=student)
                assert r.status_code == 202, r.text
                ids.append(r.json()["id"])
            views = await wait_graded(gateway, {sid: student for sid in ids}, timeout=120)
            assert [v["verdict"] for v in views.values()] == ["accepted"] * 100
            metrics = (await gateway.get("/metrics")).text
            parked = [
                line for line in metrics.splitlines() if line.startswith("gradeflow_outbox_parked_total")
            ]
            assert parked and float(parked[0].split()[-1]) >= 1, parked
    finally:
        with _gateway_restarted(stack):
            pass

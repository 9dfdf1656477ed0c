"""Live results, the four services as real processes: a student follows their submission over
Server-Sent Events and sees it move (queued → running → graded, in that order, never back; running
only if grading takes a while) to its result, and the stream ends; another student cannot follow
it; hidden tests stay hidden."""

import asyncio
import json

import httpx
import pytest

from tests.support.api import CORRECT, classroom

pytestmark = pytest.mark.e2e
ORDER = ["queued", "running", "graded"]


async def _statuses(client: httpx.AsyncClient, path: str, auth: dict[str, str]) -> list[dict[str, object]]:
    seen: list[dict[str, object]] = []
    async with client.stream("GET", path, headers=auth, timeout=60) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        event: dict[str, str] = {}
        async for line in stream.aiter_lines():
            if not line:
                if event.get("event") == "status":
                    seen.append(json.loads(event["data"]))
                event = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                event[name] = value.removeprefix(" ")
    return seen


async def test_a_student_follows_their_submission_to_its_result(gateway: httpx.AsyncClient) -> None:
    room = await classroom(gateway, students=2)
    (_, ada), (_, bo) = room.students
    body = {"assignment_id": room.assignment_id, "language": "python", "source": CORRECT}
    submitted = await gateway.post("/v1/submissions", json=body, headers=ada)
    assert submitted.status_code == 202, submitted.text
    path = f"/v1/submissions/{submitted.json()['id']}/events"
    assert (await gateway.get(path, headers=bo)).status_code == 404, "not Bo's to follow"

    seen = await asyncio.wait_for(_statuses(gateway, path, ada), 60)
    statuses = [str(s["status"]) for s in seen]
    assert statuses[-1] == "graded" and statuses == sorted(set(statuses), key=ORDER.index), statuses
    final = seen[-1]
    assert (final["verdict"], final["score"], final["max_score"]) == ("accepted", 10, 10)
    hidden = [t for t in final["tests"] if t["hidden"]]  # type: ignore[union-attr]
    assert hidden and all("stdout" not in t for t in hidden), "a student never sees hidden data"
    # Graded already: a stream opened now says so at once and ends.
    again = await asyncio.wait_for(_statuses(gateway, path, ada), 10)
    assert [s["status"] for s in again] == ["graded"]

"""The inbox through the gateway's door, the four services as real processes: a teacher's course
event reaches an open stream (SSE relayed by the gateway) at once, the page and the preferences
answer through it, and a caller without a token is turned away at the gateway."""

import asyncio
import json

import httpx
import pytest

from tests.support.api import classroom

pytestmark = pytest.mark.e2e


async def _next_event(lines: object, timeout: float = 20) -> dict[str, str]:
    async def read() -> dict[str, str]:
        event: dict[str, str] = {}
        async for line in lines:  # type: ignore[attr-defined]
            if not line:
                if "event" in event:
                    return event
                event = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                event[name] = value.removeprefix(" ")
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(read(), timeout)


async def test_a_course_event_reaches_an_open_stream_through_the_gateway(gateway: httpx.AsyncClient) -> None:
    room = await classroom(gateway, students=2)
    (_, ada), (_, bo) = room.students
    assert (await gateway.get("/v1/notifications/stream")).status_code == 401
    assert (await gateway.get("/v1/preferences")).status_code == 401

    # The notifier learns of the enrollments from events, on a queue of their own: wait until it
    # knows both (an event fanned out before a member's enrollment arrives does not reach them).
    for auth in (ada, bo):
        for _ in range(100):
            if (await gateway.get("/v1/preferences", headers=auth)).status_code == 200:
                break
            await asyncio.sleep(0.1)
    put = await gateway.put("/v1/preferences", headers=ada, json={"channels": [
        {"channel": "email", "category": "announcement", "enabled": False}
    ]})  # fmt: skip
    assert put.status_code == 200 and not next(
        c["enabled"]
        for c in put.json()["channels"]
        if (c["channel"], c["category"]) == ("email", "announcement")
    )

    async with gateway.stream("GET", "/v1/notifications/stream", headers=ada, timeout=None) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert (await _next_event(lines))["event"] == "unread"
        body = {
            "title": "Lab moved",
            "body": "To room 4.",
            "category": "announcement",
            "audience": "students",
        }
        created = await gateway.post(f"/v1/courses/{room.course_id}/events", json=body, headers=room.teacher)
        assert created.status_code == 202, created.text
        event = await _next_event(lines)
        assert event["event"] == "notification" and json.loads(event["data"])["title"] == "Lab moved"

    page = (await gateway.get("/v1/notifications", headers=bo, params={"limit": 1})).json()
    for _ in range(100):
        if page["items"]:
            break
        await asyncio.sleep(0.1)
        page = (await gateway.get("/v1/notifications", headers=bo, params={"limit": 1})).json()
    assert page["items"][0]["title"] == "Lab moved" and page["unread"] == 1
    marked = await gateway.post("/v1/notifications/read-all", headers=bo)
    assert marked.status_code == 200 and marked.json() == {"marked": 1}

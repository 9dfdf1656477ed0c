"""No request can freeze a service's event loop: while a 30 MiB roster is imported, and while five
Java programs of 64 KiB of unterminated comments are looked through, each service's liveness probe
answers within 200 ms (its probe, restarted by Kubernetes past a few seconds, is what is at stake:
before, the roster held the gateway's loop for seconds, the comments the grader's)."""

import asyncio
import time
import uuid
from collections.abc import Awaitable

import httpx
import pytest

from gradeflow_tools.stack import Stack
from tests.support.api import login

pytestmark = pytest.mark.e2e

LIVE_BOUND_MS = 200


async def _slowest_probe(url: str, work: Awaitable[httpx.Response]) -> tuple[float, httpx.Response]:
    """The slowest of `url`'s /health/live answers while `work` runs (probed every 20 ms)."""
    task = asyncio.ensure_future(work)
    slowest = 0.0
    async with httpx.AsyncClient(base_url=url, timeout=10) as probe:
        while not task.done():
            started = time.perf_counter()
            r = await probe.get("/health/live")
            assert r.status_code == 200
            slowest = max(slowest, (time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.02)
    return slowest, task.result()


def _roster(lines: int) -> bytes:
    """`lines` students with 200-character names and long (valid) emails: about 370 bytes a line."""
    tag = uuid.uuid4().hex[:8]
    domain = "a" * 60 + "." + "b" * 60 + ".example.com"
    body = "".join(f"{'N' * 194}{i:06d},s{i}-{tag}@{domain},student,\n" for i in range(lines))
    return ("name,email,role,child_email\n" + body).encode()


@pytest.mark.timeout(300)
async def test_the_gateway_answers_its_probe_while_a_30_mib_roster_is_imported(
    stack: Stack, gateway: httpx.AsyncClient
) -> None:
    _, teacher = await login(gateway, "teacher")
    course = (await gateway.post("/v1/courses", json={"title": "Huge"}, headers=teacher)).json()["id"]
    roster = _roster(85_000)
    assert 28 * 2**20 < len(roster) < 32 * 2**20
    importing = gateway.post(
        f"/v1/courses/{course}/roster",
        content=roster,
        headers={**teacher, "Content-Type": "text/csv"},
        timeout=240,
    )
    slowest, answer = await _slowest_probe(stack.config.url("gateway"), importing)
    assert answer.status_code == 200 and answer.json()["students"] == 85_000, answer.text[:300]
    assert slowest < LIVE_BOUND_MS, f"/health/live took {slowest:.0f} ms during the import"


async def test_the_grader_answers_its_probe_while_java_comments_are_looked_through(
    stack: Stack, gateway: httpx.AsyncClient
) -> None:
    _, auth = await login(gateway, "comments")
    source = "/*" * 32_000 + "\npublic class Late {}\n"
    run = {"language": "java", "source": source}

    async def five_runs() -> httpx.Response:
        ids = []
        for _ in range(5):
            r = await gateway.post("/v1/runs", json=run, headers=auth)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            views = [(await gateway.get(f"/v1/runs/{i}", headers=auth)).json() for i in ids]
            if all(v["status"] == "done" for v in views):
                return httpx.Response(200, json=views)
            await asyncio.sleep(0.1)
        raise AssertionError("the runs did not finish")

    slowest, answer = await _slowest_probe(stack.config.url("grader"), five_runs())
    assert [v["verdict"] for v in answer.json()] == ["compilation_error"] * 5
    assert slowest < LIVE_BOUND_MS, f"the grader's /health/live took {slowest:.0f} ms"

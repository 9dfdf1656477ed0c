"""No request can freeze a service's event loop: while a 28 MiB roster is imported, and while five
Java programs of 64 KiB of unterminated comments are looked through, each service's liveness probe
answers within 500 ms, a sixth of the manifests' probe timeout (3 s; what is at stake is a pod
restarted mid-work). Before, the roster held the gateway's loop for seconds, the comments the
grader's. The bound is for a frozen loop, not a busy machine: on two cores shared with the parse,
curl, PostgreSQL and the other services, the probe's slowest answer is about 100 ms alone, past 200
in the whole suite, with no step holding the loop longer than a few ms."""

import asyncio
import time
import uuid
from collections.abc import Awaitable
from pathlib import Path

import httpx
import pytest

from gradeflow_tools.stack import Stack
from tests.support.api import login

pytestmark = pytest.mark.e2e

LIVE_BOUND_MS = 500


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
    """`lines` students with 200-character names and 64-character local parts: about 290 bytes a
    line, so the line bound (100,000) is about 28 MiB."""
    tag = uuid.uuid4().hex[:8]
    body = "".join(f"{'N' * 194}{i:06d},{'s' * 47}{i:06d}.{tag}@example.com,student,\n" for i in range(lines))
    return ("name,email,role,child_email\n" + body).encode()


@pytest.mark.timeout(300)
async def test_the_gateway_answers_its_probe_while_a_28_mib_roster_is_imported(
    stack: Stack, gateway: httpx.AsyncClient, tmp_path: Path
) -> None:
    _, teacher = await login(gateway, "teacher")
    course = (await gateway.post("/v1/courses", json={"title": "Huge"}, headers=teacher)).json()["id"]
    roster = tmp_path / "roster.csv"
    roster.write_bytes(_roster(100_000))
    assert 27 * 2**20 < roster.stat().st_size < 32 * 2**20
    # Sent by another process (curl), so that the probe's own loop is not the one sending 28 MiB.
    url = f"{stack.config.url('gateway')}/v1/courses/{course}/roster"
    importing = _curl(url, teacher["Authorization"], roster)
    slowest, answer = await _slowest_probe(stack.config.url("gateway"), importing)
    assert answer.status_code == 200 and answer.json()["students"] == 100_000, answer.text[:300]
    assert slowest < LIVE_BOUND_MS, f"/health/live took {slowest:.0f} ms during the import"


async def _curl(url: str, authorization: str, body: Path) -> httpx.Response:
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-X", "POST", "-H", f"Authorization: {authorization}", "-H", "Content-Type: text/csv",
        "--data-binary", f"@{body}", "-w", "\n%{http_code}", url,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    text, _, code = out.decode().rpartition("\n")
    return httpx.Response(int(code), text=text)


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

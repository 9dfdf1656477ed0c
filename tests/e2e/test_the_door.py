"""The gateway's door against callers who send what they should not, on the real process: a huge
anonymous body is refused before it is read (its memory barely moves), and a crowd of bodies that
never finish arriving holds no slot that other callers need."""

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from gradeflow_tools.stack import Stack
from tests.support.api import login
from tests.support.raw_http import MiB, post_huge

pytestmark = pytest.mark.e2e


def _peak_rss(pid: int) -> int:
    """The process's resident peak so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


async def test_a_400_mb_anonymous_body_is_refused_before_it_is_read(stack: Stack) -> None:
    proc = stack.processes["gateway"].proc
    assert proc is not None
    base = stack.config.url("gateway")
    before = _peak_rss(proc.pid)
    answer = await post_huge(base, "/v1/submissions", 400 * MiB, {})
    grown = _peak_rss(proc.pid) - before
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert grown < 32 * MiB, f"the gateway's peak grew by {grown / MiB:.1f} MiB"
    # Chunked, with no length to refuse it by: refused before a byte is read (anonymous).
    answer = await post_huge(base, "/v1/submissions", 400 * MiB, {}, chunked=True)
    assert answer.startswith((b"HTTP/1.1 401", b"HTTP/1.1 413")), answer[:200]
    assert _peak_rss(proc.pid) - before < 32 * MiB


async def test_slow_bodies_hold_no_slot_that_other_callers_need(
    stack: Stack, gateway: httpx.AsyncClient
) -> None:
    """1,200 authenticated requests whose bodies stop after 10 of their 100 bytes — more than the
    1,024 requests a process works on at once — and another caller is still served."""
    _, auth = await login(gateway, "slow")
    url = urlsplit(stack.config.url("gateway"))
    host, port = url.hostname or "127.0.0.1", url.port or 80
    head = (
        f"POST /v1/submissions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: {auth['Authorization']}\r\nContent-Length: 100\r\n\r\n" + '{"source":'
    ).encode()
    writers = []
    try:
        for _ in range(1200):
            _, writer = await asyncio.open_connection(host, port)
            writer.write(head)
            writers.append(writer)
        await asyncio.gather(*(w.drain() for w in writers))
        await asyncio.sleep(1.0)  # every one of them is in the gateway, waiting for its body
        _, other = await login(gateway, "other")
        me = await gateway.get("/v1/users/me", headers=other)
        course = await gateway.post("/v1/courses", json={"title": "Still served"}, headers=other)
        assert (me.status_code, course.status_code) == (200, 201), (me.text, course.text)
    finally:
        for writer in writers:
            writer.close()

"""The gateway's door against callers who send what they should not, on the real process: a huge
anonymous body is refused before it is read (its memory barely moves), and a crowd of bodies that
never finish arriving holds no slot that other callers need."""

import asyncio
import contextlib
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from gradeflow_tools.stack import Stack
from tests.support.api import login

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024


def _peak_rss(pid: int) -> int:
    """The process's resident peak so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


async def _send_huge(host: str, port: int, total: int, chunked: bool) -> bytes:
    """POST `total` bytes of JSON-ish noise in 1 MiB writes, as fast as the gateway takes them;
    returns what it answered (its status line first), whenever it answers."""
    reader, writer = await asyncio.open_connection(host, port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    writer.write(
        f"POST /v1/submissions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n".encode()
    )
    chunk = b"[" * MiB
    if chunked:
        chunk = f"{MiB:x}\r\n".encode() + chunk + b"\r\n"
    answering = asyncio.create_task(reader.read(4096))  # whenever it answers, mid-body or after
    with contextlib.suppress(ConnectionError):
        for _ in range(total // MiB):
            if answering.done():
                break
            writer.write(chunk)
            await writer.drain()
    try:
        answer = await asyncio.wait_for(answering, 10)
    except ConnectionError:
        answer = b""
    writer.close()
    return answer


async def test_a_400_mb_anonymous_body_is_refused_before_it_is_read(stack: Stack) -> None:
    proc = stack.processes["gateway"].proc
    assert proc is not None
    url = urlsplit(stack.config.url("gateway"))
    before = _peak_rss(proc.pid)
    answer = await _send_huge(url.hostname or "127.0.0.1", url.port or 80, 400 * MiB, chunked=False)
    grown = _peak_rss(proc.pid) - before
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert grown < 32 * MiB, f"the gateway's peak grew by {grown / MiB:.1f} MiB"
    # Chunked, with no length to refuse it by: refused before a byte is read (anonymous).
    answer = await _send_huge(url.hostname or "127.0.0.1", url.port or 80, 400 * MiB, chunked=True)
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

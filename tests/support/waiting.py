"""Polling helpers for asynchronous outcomes: bounded in time, failing with what was last seen."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


async def wait_graded(
    client: httpx.AsyncClient, submissions: dict[str, dict[str, str]], timeout: float = 120
) -> dict[str, dict[str, Any]]:
    """Poll each submission (id → auth headers) until graded; return the final views."""
    done: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while len(done) < len(submissions) and time.monotonic() < deadline:
        for sid, auth in submissions.items():
            if sid in done:
                continue
            view = (await client.get(f"/v1/submissions/{sid}", headers=auth)).json()
            if view.get("status") == "graded":
                done[sid] = view
        await asyncio.sleep(0.25)
    missing = set(submissions) - set(done)
    assert not missing, f"{len(missing)} of {len(submissions)} not graded within {timeout}s"
    return done


async def until(check: Callable[[], Awaitable[T]], what: str, timeout: float = 120) -> T:
    """`check`'s first true answer, looked for every 0.25 s; AssertionError naming `what` after
    `timeout` seconds."""
    for _ in range(int(timeout * 4)):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.25)
    raise AssertionError(f"not within {timeout} s: {what}")

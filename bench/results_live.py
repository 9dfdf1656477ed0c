"""Live results benchmark: N students each submit once and follow their submission over SSE
(`GET /v1/submissions/{id}/events`) through one gateway process, while the grader grades them
all (paused until every stream is open). For each stream: that it ended with its own submission
graded, and how long after the submission was graded (the read model's `updated_at`) its client
had the result; the gateway's memory with the streams open. All four services as processes; the
N clients in this process.

    uv run python -m bench.results_live [--streams 1000]

Writes bench/results/results-live.json.
"""

import asyncio
import json
import os
import signal
import time
from datetime import datetime
from typing import Any

import httpx
import typer

from bench import results
from bench.course import roster_course, running_stack
from bench.memory import Memory, rss_mb

ONE_TEST = [{"stdin": "2\n", "expected_stdout": "3\n", "weight": 1}]
SOURCE = "print(int(input()) + 1)"


async def _follow(
    client: httpx.AsyncClient, token: str, submission: str, opened: asyncio.Event
) -> tuple[str, float]:
    """(the last status seen with its submission's id checked, seconds from graded to received)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with client.stream("GET", f"/v1/submissions/{submission}/events", headers=headers) as stream:
        stream.raise_for_status()
        opened.set()
        event: dict[str, str] = {}
        last: dict[str, Any] = {}
        async for line in stream.aiter_lines():
            if not line:
                if event.get("event") == "status":
                    last = json.loads(event["data"])
                    assert last["id"] == submission, "another submission on this stream"
                    if last["status"] == "graded":
                        received = time.time()
                        graded = datetime.fromisoformat(last["updated_at"]).timestamp()
                        return "graded", received - graded
                event = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                event[name] = value.removeprefix(" ")
    return str(last.get("status", "none")), float("nan")


async def _run(gateway: str, n: int, pids: dict[str, int]) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(
        base_url=gateway, timeout=httpx.Timeout(30, read=None), limits=limits
    ) as client:
        teacher, course, tokens = await roster_course(client, n)
        assignment = (
            await client.post(
                f"/v1/courses/{course}/assignments", json={"title": "+1", "tests": ONE_TEST}, headers=teacher
            )
        ).json()["id"]
        body = {"assignment_id": assignment, "language": "python", "source": SOURCE}
        # The grader paused while the submissions are made and their streams opened: every stream
        # then waits for its result, as a student's open page does.
        os.kill(pids["grader"], signal.SIGSTOP)
        submitted: list[str] = []
        for t in tokens:
            r = await client.post("/v1/submissions", json=body, headers={"Authorization": f"Bearer {t}"})
            r.raise_for_status()
            submitted.append(r.json()["id"])
        opened = [asyncio.Event() for _ in range(n)]
        followers = [
            asyncio.create_task(_follow(client, t, sid, e))
            for t, sid, e in zip(tokens, submitted, opened, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in opened)), 120)
        held = round(rss_mb(pids["gateway"]), 1)
        os.kill(pids["grader"], signal.SIGCONT)
        started = time.monotonic()
        outcomes = await asyncio.wait_for(asyncio.gather(*followers, return_exceptions=True), 600)
        seconds = time.monotonic() - started
    ended = [o for o in outcomes if isinstance(o, tuple)]
    delays = [d * 1000 for status, d in ended if status == "graded"]
    return {
        "streams": n,
        "graded_on_their_stream": len(delays),
        "errors": len(outcomes) - len(ended),
        "all_graded_seconds": round(seconds, 1),
        "graded_to_received_ms": {
            "p50": results.percentile(delays, 0.5),
            "p99": results.percentile(delays, 0.99),
            "max": round(max(delays), 1),
        },
        "gateway_rss_mb_with_streams_open": held,
    }


def main(streams: int = typer.Option(1000)) -> None:
    with running_stack() as (config, _, pids):
        memory = Memory(pids)
        report = asyncio.run(_run(config.url("gateway"), streams, pids))
    report["gateway_idle_rss_mb"] = round(memory.idle["gateway"], 1)
    print(report, flush=True)
    results.write("results-live", report)


if __name__ == "__main__":
    typer.run(main)

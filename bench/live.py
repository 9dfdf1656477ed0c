"""Live inbox benchmark: N students of one course each hold the inbox's live stream (SSE) open
through the gateway (one gateway process, one notifier process); a teacher creates one event for
them all. How long until every stream had it (from the create's answer), the gateway's and the
notifier's memory with the streams open, and their peak. All four services as processes on a
scratch vhost and database; the N clients in this process.

    uv run python -m bench.live [--streams 1000]

Writes bench/results/live.json.
"""

import asyncio
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import typer

from bench import results
from bench.course import roster_course, running_stack
from bench.memory import Memory, rss_mb


async def _events(response: httpx.Response) -> Any:
    """(event name, data) of each event on an open SSE response."""
    event: dict[str, str] = {}
    async for line in response.aiter_lines():
        if not line:
            if "event" in event:
                yield event["event"], event.get("data", "")
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")


async def _hold(
    client: httpx.AsyncClient,
    token: str,
    ready: asyncio.Event,
    got: asyncio.Queue[float],
    failures: list[str],
) -> None:
    """One student's stream, held open; reopened (as an EventSource does) if opening it fails —
    each failure recorded for the report."""
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        try:
            response = await client.send(
                client.build_request("GET", "/v1/notifications/stream", headers=headers), stream=True
            )
            if response.status_code != 200:
                failures.append(f"HTTP {response.status_code}")
                await response.aclose()
                await asyncio.sleep(0.5)
                continue
            try:
                async for name, _ in _events(response):
                    if name == "unread":
                        ready.set()
                    elif name == "notification":
                        got.put_nowait(time.monotonic())  # held open until every stream has had it
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            failures.append(type(exc).__name__)
        if ready.is_set():
            return  # a stream that ended after it had opened is not reopened: it shows as missing
        await asyncio.sleep(0.5)


def _spy(pids: dict[str, int]) -> list[subprocess.Popen[bytes]]:
    """py-spy on the gateway and the notifier for the next few seconds (collapsed stacks in
    bench/results/profiles/)."""
    out = Path(__file__).parent / "results" / "profiles"
    out.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                "py-spy",
                "record",
                "-p",
                str(pids[name]),
                "-d",
                "4",
                "-r",
                "200",
                "-f",
                "raw",
                "-o",
                str(out / f"live-{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name in ("gateway", "notifier")
    ]


async def _run(
    gateway: str, admin_url: str, n: int, memory: Memory, pids: dict[str, int], profile: bool = False
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(
        base_url=gateway, timeout=httpx.Timeout(30, read=None), limits=limits
    ) as client:
        teacher, course, tokens = await roster_course(client, n)
        await asyncio.sleep(2)  # the notifier learns of the roster from its events
        readies = [asyncio.Event() for _ in range(n)]
        got: asyncio.Queue[float] = asyncio.Queue()
        opened = time.monotonic()
        failures: list[str] = []
        holders = [
            asyncio.create_task(_hold(client, t, e, got, failures))
            for t, e in zip(tokens, readies, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in readies)), 120)
        open_seconds = time.monotonic() - opened
        await asyncio.sleep(1)
        held = {name: round(rss_mb(pid), 1) for name, pid in pids.items() if name in ("gateway", "notifier")}
        body = {
            "title": "Room change",
            "body": "Lab in room 4.",
            "category": "announcement",
            "audience": "students",
        }
        spies = _spy(pids) if profile else []
        with memory.sampling():
            r = await client.post(f"/v1/courses/{course}/events", json=body, headers=teacher)
            r.raise_for_status()
            created, created_wall = time.monotonic(), time.time()
            arrivals = [await asyncio.wait_for(got.get(), 120) for _ in range(n)]
        for holder in holders:
            holder.cancel()
        await asyncio.gather(*holders, return_exceptions=True)
        for spy in spies:
            spy.wait()
    delays = [(t - created) * 1000 for t in arrivals]
    # When the chunk's transaction began (its rows' created_at), from the create's answer: the
    # fan-out's share of the delay, the rest is the streams'.
    db = await asyncpg.connect(admin_url)
    try:
        written = await db.fetchval(
            "SELECT extract(epoch FROM min(created_at)) FROM notifier.notifications"
            " WHERE data->>'event_id' = $1",
            r.json()["id"],
        )
    finally:
        await db.close()
    return {
        "streams": n,
        "received": len(arrivals),
        "open_all_seconds": round(open_seconds, 2),
        "open_failures": dict(Counter(failures)),
        "delivery_ms": {
            "p50": results.percentile(delays, 0.5),
            "p99": results.percentile(delays, 0.99),
            "max": round(max(delays), 1),
        },
        "rows_written_ms": round((float(written) - created_wall) * 1000, 1),
        "rss_with_streams_open_mb": held,
        "idle_rss_mb": {k: round(v, 1) for k, v in memory.idle.items() if k in held},
        "peak_rss_mb": {k: round(v, 1) for k, v in memory.peak.items() if k in held},
    }


def main(
    streams: int = typer.Option(1000),
    profile: bool = typer.Option(False, help="py-spy the gateway and notifier during the delivery"),
) -> None:
    with running_stack() as (config, admin_url, pids):
        report = asyncio.run(_run(config.url("gateway"), admin_url, streams, Memory(pids), pids, profile))
    print(report, flush=True)
    results.write("live", report)


if __name__ == "__main__":
    typer.run(main)

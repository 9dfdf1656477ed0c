"""The soak: the four services at a steady rate of submissions for an hour, grading live, every
service's memory sampled all along. Every submission must be graded, and each service's memory
flat after the warm-up: the report gives each one's resident memory at the end of the warm-up and
at the end, its growth a minute over the second half (a least-squares slope), and the peak.
Writes bench/results/soak.json.

    make bench-soak                                  # = uv run python -m bench.soak --minutes 60 --rate 25
"""

import asyncio
import contextlib
import time
from typing import Any

import asyncpg
import httpx
import typer

from bench.course import course_with_students, running_stack
from bench.memory import rss_mb
from bench.results import write
from gradeflow_tools.stack import StackConfig

WARM_UP_SHARE = 0.25  # the first quarter: pools, caches and the allocator settle
SAMPLE_SECONDS = 10.0
SOURCE = "n = int(input())\nprint(n * (n + 1) // 2)\n"  # passes bench.course's sum tests


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares growth of (seconds, MB) samples, in MB a minute."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in samples) / n
    mean_v = sum(v for _, v in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    cov = sum((t - mean_t) * (v - mean_v) for t, v in samples)
    return cov / var * 60 if var else 0.0


async def _submit_steadily(
    client: httpx.AsyncClient, assignment: str, tokens: list[str], rate: float, seconds: float
) -> tuple[int, int]:
    """POST submissions at `rate` a second, round robin over the students: (accepted, refused)."""
    accepted = refused = 0
    started = time.monotonic()
    pending: set[asyncio.Task[None]] = set()

    async def one(token: str) -> None:
        nonlocal accepted, refused
        try:
            r = await client.post(
                "/v1/submissions",
                json={"assignment_id": assignment, "language": "python", "source": SOURCE},
                headers={"Authorization": f"Bearer {token}"},
            )
            if r.status_code == 202:
                accepted += 1
            else:
                refused += 1
        except httpx.HTTPError:
            refused += 1

    i = 0
    while (now := time.monotonic() - started) < seconds:
        due = int(now * rate) + 1
        while i < due:
            task = asyncio.create_task(one(tokens[i % len(tokens)]))
            pending.add(task)
            task.add_done_callback(pending.discard)
            i += 1
        await asyncio.sleep(1 / rate / 2)
    await asyncio.gather(*pending)
    return accepted, refused


Series = dict[str, list[tuple[float, float]]]  # service → (seconds, resident MB)
GRADED = "SELECT count(*) FROM gateway.submissions WHERE status = 'graded'"


async def _sample(pids: dict[str, int], into: Series, stop: asyncio.Event) -> None:
    started = time.monotonic()
    while not stop.is_set():
        for name, pid in pids.items():
            into[name].append((round(time.monotonic() - started, 1), rss_mb(pid)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)


async def soak(
    config: StackConfig, admin_url: str, pids: dict[str, int], minutes: float, rate: float
) -> dict[str, Any]:
    seconds = minutes * 60
    async with httpx.AsyncClient(base_url=config.url("gateway"), timeout=30) as client:
        assignment, tokens = await course_with_students(client, 50)
        samples: Series = {name: [] for name in pids}
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample(pids, samples, stop))
        accepted, refused = await _submit_steadily(client, assignment, tokens, rate, seconds)
        load_ended = time.monotonic()
        conn = await asyncpg.connect(admin_url)
        try:
            # Until every submission is graded, or grading stops making progress for a minute.
            graded, progress_at = 0, time.monotonic()
            while time.monotonic() - progress_at < 60:
                now = await conn.fetchval(GRADED)
                if now > graded:
                    graded, progress_at = now, time.monotonic()
                if graded >= accepted:
                    break
                await asyncio.sleep(1)
        finally:
            await conn.close()
        drained_seconds = round(time.monotonic() - load_ended, 1)
        stop.set()
        await sampler
    memory = {}
    for name, series in samples.items():
        warm = [s for s in series if s[0] >= seconds * WARM_UP_SHARE]
        second_half = [s for s in series if s[0] >= seconds / 2]
        memory[name] = {
            "after_warm_up_mb": warm[0][1] if warm else None,
            "end_mb": series[-1][1] if series else None,
            "peak_mb": max(v for _, v in series) if series else None,
            "growth_mb_per_minute_second_half": round(slope_per_minute(second_half), 3),
            "samples": series[:: max(1, len(series) // 120)],
        }
    return {
        "minutes": minutes,
        "rate_per_second": rate,
        "accepted": accepted,
        "refused": refused,
        "graded": graded,
        "graded_per_second_overall": round(graded / (seconds + drained_seconds), 2),
        "backlog_drained_seconds": drained_seconds,
        "memory": memory,
    }


def main(minutes: float = typer.Option(60.0), rate: float = typer.Option(25.0)) -> None:
    with running_stack() as (config, admin_url, pids):
        report = asyncio.run(soak(config, admin_url, pids, minutes, rate))
    write("soak", report)
    for name, m in report["memory"].items():
        print(
            f"{name}: {m['after_warm_up_mb']} MB after warm-up → {m['end_mb']} MB at the end, "
            f"{m['growth_mb_per_minute_second_half']} MB/min over the second half, peak {m['peak_mb']}"
        )
    print(f"accepted {report['accepted']}, refused {report['refused']}, graded {report['graded']}")


if __name__ == "__main__":
    typer.run(main)

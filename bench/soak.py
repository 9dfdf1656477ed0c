"""The soak: the four services at a steady rate of submissions for an hour, grading live, every
service's memory sampled all along. Every submission must be graded, and each service's memory
flat after the warm-up: the report gives each one's resident memory at the end of the warm-up and
at the end, its growth a minute over the second half (a least-squares slope), and the peak.
Writes bench/results/soak.json.

    make bench-soak                                  # = uv run python -m bench.soak --minutes 60 --rate 25
    uv run python -m bench.soak --minutes 15 --trace-memory   # and name what grew, by line

With `--trace-memory` every service starts tracing allocations (tracemalloc, bench/memtrace) at the
end of the warm-up and takes a snapshot once the backlog is graded, idle: the report lists, per
service, the allocation sites holding the most memory allocated since the warm-up and still alive
(tracing slows the services: a traced run is for finding growth, not for comparing speed).
"""

import asyncio
import contextlib
import os
import signal
import tempfile
import time
import tracemalloc
from pathlib import Path
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
MEMTRACE = Path(__file__).parent / "memtrace"


def _snaps(into: Path, pid: int) -> set[Path]:
    return set(into.glob(f"{pid}-*.snap"))


async def _snapshots(pids: dict[str, int], into: Path) -> dict[str, Path]:
    """Each service's tracemalloc snapshot, taken now (bench/memtrace answers SIGUSR1)."""
    before = {name: _snaps(into, pid) for name, pid in pids.items()}
    for pid in pids.values():
        os.kill(pid, signal.SIGUSR1)
    taken: dict[str, Path] = {}
    for _ in range(600):
        for name, pid in pids.items():
            new = _snaps(into, pid) - before[name]
            if new:
                taken[name] = new.pop()
        if len(taken) == len(pids):
            return taken
        await asyncio.sleep(0.5)
    raise TimeoutError(f"no snapshot from {sorted(set(pids) - set(taken))}")


def _grown(snapshot: Path, top: int = 8) -> list[dict[str, Any]]:
    """The allocation sites holding the most memory allocated since tracing started."""
    ignored = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen *>")]
    stats = tracemalloc.Snapshot.load(str(snapshot)).filter_traces(ignored).statistics("traceback")
    return [
        {
            "kb": round(stat.size / 1024, 1),
            "blocks": stat.count,
            "where": [f"{frame.filename}:{frame.lineno}" for frame in stat.traceback][-6:],
        }
        for stat in stats[:top]
    ]


async def _sample(pids: dict[str, int], into: Series, stop: asyncio.Event) -> None:
    started = time.monotonic()
    while not stop.is_set():
        for name, pid in pids.items():
            into[name].append((round(time.monotonic() - started, 1), rss_mb(pid)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)


async def soak(
    config: StackConfig,
    admin_url: str,
    pids: dict[str, int],
    minutes: float,
    rate: float,
    trace_into: Path | None = None,
) -> dict[str, Any]:
    seconds = minutes * 60
    async with httpx.AsyncClient(base_url=config.url("gateway"), timeout=30) as client:
        assignment, tokens = await course_with_students(client, 50)
        samples: Series = {name: [] for name in pids}
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample(pids, samples, stop))
        warm_up = seconds * WARM_UP_SHARE
        load = asyncio.create_task(_submit_steadily(client, assignment, tokens, rate, seconds))
        grown: dict[str, list[dict[str, Any]]] = {}
        if trace_into is not None:
            await asyncio.sleep(warm_up)
            await _snapshots(pids, trace_into)  # tracing starts
        accepted, refused = await load
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
        if trace_into is not None:
            await asyncio.sleep(SAMPLE_SECONDS)  # the last events settle: what is alive now stays
            last = await _snapshots(pids, trace_into)
            grown = {name: _grown(last[name]) for name in pids}
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
        **({"grown_after_warm_up": grown} if grown else {}),
    }


def main(
    minutes: float = typer.Option(60.0),
    rate: float = typer.Option(25.0),
    trace_memory: bool = typer.Option(False, help="name the allocation sites that grew (slower)"),
) -> None:
    with contextlib.ExitStack() as stack:
        trace_into, env = None, {}
        if trace_memory:
            trace_into = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            env = {"PYTHONPATH": str(MEMTRACE), "GRADEFLOW_MEMTRACE_DIR": str(trace_into)}
        config, admin_url, pids = stack.enter_context(running_stack(env))
        report = asyncio.run(soak(config, admin_url, pids, minutes, rate, trace_into))
    write("soak-traced" if trace_memory else "soak", report)
    for name, sites in report.get("grown_after_warm_up", {}).items():
        print(f"{name}, grown most after the warm-up:")
        for site in sites[:4]:
            where = " <- ".join(reversed(site["where"][-3:]))
            print(f"  {site['kb']} KB ({site['blocks']} blocks) at {where}")
    for name, m in report["memory"].items():
        print(
            f"{name}: {m['after_warm_up_mb']} MB after warm-up → {m['end_mb']} MB at the end, "
            f"{m['growth_mb_per_minute_second_half']} MB/min over the second half, peak {m['peak_mb']}"
        )
    print(f"accepted {report['accepted']}, refused {report['refused']}, graded {report['graded']}")


if __name__ == "__main__":
    typer.run(main)

"""Pipeline benchmark: the four services as processes on a scratch vhost and database; N
submissions sent by concurrent clients; figures for the API (POST latency) and the whole path
(accepted → graded, from the read model's timestamps). Prints them and writes JSON.

With --backlog the graders are paused (SIGSTOP) while the submissions are sent and published, then
resumed: graded/s is then the graders' own rate on a queued backlog, from resuming to the last one
graded, with nothing else of the run competing for the cores. With --scale (and --graders 2)
the first grader is resumed alone until 40 % are graded, then the second: one grader's rate and
two graders' in the same run, on the same stack a few seconds apart (the scale-out figure: runs
minutes apart differ by more than the machine's speed allows comparing).

    uv run python -m bench.pipeline --submissions 300 --clients 20 [--graders 2 --backlog]
    uv run python -m bench.pipeline --submissions 200 --graders 2 --grader-concurrency 1 --scale \
        --workload cpu

--workload cpu sends solutions whose tests compute (a loop of 1.5 million steps a submission)
instead of doing nothing: CPU-bound grading, the scale-out pair's workload.
"""

import asyncio
import itertools
import os
import signal
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import typer

from bench import results
from bench.course import SUM_TESTS, course_with_students, free_port, sum_tests
from bench.memory import Memory
from gradeflow_tools import smtp_sink
from gradeflow_tools.scratch import Infra, provisioned_infra
from gradeflow_tools.stack import SERVICES, ServiceProcess, Stack


@dataclass(frozen=True)
class Workload:
    """An assignment's tests and the solutions sent to it (one in three wrong)."""

    tests: list[dict[str, object]]
    correct: str
    wrong: str


# Light: each test's own work is nothing; a submission costs what grading costs around it (the
# sandbox, the interpreter, the messages and rows) — the end-to-end figure.
LIGHT = Workload(
    SUM_TESTS,
    "n = int(input())\nprint(sum(range(1, n + 1)))\n",
    "n = int(input())\nprint(n * n)\n",
)
# CPU-bound: the solutions add 1..n in a Python loop, 1.5 million steps a submission (about
# 100 ms of CPU in the sandbox): grading, not the path around it, is what costs.
_LOOP = "n = int(input())\ntotal = 0\nfor i in range(1, n + 1):\n    total += i\nprint(total{})\n"
CPU = Workload(sum_tests(100_000, 200_000, 300_000, 400_000, 500_000), _LOOP.format(""), _LOOP.format(" + 1"))
WORKLOADS = {"light": LIGHT, "cpu": CPU}


async def _published(conn: asyncpg.Connection, timeout: float) -> None:
    """Wait until the gateway's relay has published every staged event."""
    deadline = time.monotonic() + timeout
    while await conn.fetchval("SELECT count(*) FROM gateway.outbox WHERE published_at IS NULL"):
        if time.monotonic() > deadline:
            raise TimeoutError("the gateway's outbox was not drained")
        await asyncio.sleep(0.1)


async def _load(
    gateway: str,
    submissions: int,
    clients: int,
    infra: Infra,
    timeout: float,
    steps: list[tuple[list[int], int]],
    workload: Workload,
) -> dict[str, Any]:
    """`steps`: graders paused while the submissions are sent, then resumed step by step — each
    step's graders, until its count of submissions is graded."""
    for pids, _ in steps:
        for pid in pids:
            os.killpg(pid, signal.SIGSTOP)
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        assignment_id, tokens = await course_with_students(client, clients, workload.tests)
        auths = [{"Authorization": f"Bearer {t}"} for t in tokens]
        latencies: list[float] = []
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(submissions):
            queue.put_nowait(i)

        async def worker(auth: dict[str, str]) -> None:
            while not queue.empty():
                i = queue.get_nowait()
                body = {
                    "assignment_id": assignment_id,
                    "language": "python",
                    "source": workload.correct if i % 3 else workload.wrong,
                }
                started = time.perf_counter()
                r = await client.post("/v1/submissions", json=body, headers=auth)
                latencies.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 202, r.text

        sent_at = time.perf_counter()
        await asyncio.gather(*(worker(a) for a in auths))
        send_seconds = time.perf_counter() - sent_at

    conn = await asyncpg.connect(infra.admin_url)
    try:
        if steps:
            await _published(conn, timeout)
        resumed = await _resume_in_steps(conn, steps, submissions, timeout)
        rows = await conn.fetch(
            "SELECT extract(epoch FROM updated_at - created_at) * 1000 AS ms, created_at, updated_at "
            "FROM gateway.submissions WHERE status = 'graded'"
        )
    finally:
        await conn.close()
    path_ms = [float(r["ms"]) for r in rows]
    first = resumed[0] if resumed else min(r["created_at"] for r in rows)
    span = (max(r["updated_at"] for r in rows) - first).total_seconds()
    last_until = steps[-1][1] if steps else submissions
    phases = _phases([r["updated_at"] for r in rows], resumed, [len(pids) for pids, _ in steps], last_until)
    return {
        "submissions": submissions,
        "clients": clients,
        "graded": len(rows),
        "post_latency_ms": {
            "p50": results.percentile(latencies, 0.5),
            "p95": results.percentile(latencies, 0.95),
            "p99": results.percentile(latencies, 0.99),
        },
        "accepted_per_second": round(submissions / send_seconds, 1),
        "accepted_to_graded_ms": {
            "p50": results.percentile(path_ms, 0.5),
            "p95": results.percentile(path_ms, 0.95),
            "max": round(max(path_ms), 1),
        },
        "graded_per_second": round(len(rows) / span, 2) if span else None,
        "tests_per_submission": len(workload.tests),
        "phases": phases,
    }


async def _wait_graded(conn: asyncpg.Connection, count: int, deadline: float, poll: float) -> None:
    query = "SELECT count(*) FROM gateway.submissions WHERE status = 'graded'"
    while time.monotonic() < deadline:
        if await conn.fetchval(query) >= count:
            return
        await asyncio.sleep(poll)


async def _resume_in_steps(
    conn: asyncpg.Connection, steps: list[tuple[list[int], int]], submissions: int, timeout: float
) -> list[datetime]:
    """Resume each step's graders, then wait until that step's count is graded; then until every
    submission is. The database's time at each resume."""
    resumed: list[datetime] = []
    deadline = time.monotonic() + timeout
    for i, (pids, until) in enumerate(steps):
        resumed.append(await conn.fetchval("SELECT now()"))
        for pid in pids:
            os.killpg(pid, signal.SIGCONT)
        # A step's end is watched closely when the next graders resume as soon as it comes; the
        # last step's end is read off the graded times, so it is looked at seldom (each look is
        # a query the database answers beside the graders).
        await _wait_graded(conn, until, deadline, 0.05 if i < len(steps) - 1 else 0.5)
    await _wait_graded(conn, submissions, deadline, 0.5)
    return resumed


def _phases(
    graded_at: list[datetime], resumed: list[datetime], graders: list[int], last_until: int
) -> list[dict[str, Any]]:
    """Graded/s in each step: from its graders' resume to the next step's (the last: until
    `last_until` were graded in all), counting what was graded in between."""
    ordered = sorted(graded_at)
    if not resumed or not ordered:
        return []  # nothing paused: one phase, the whole run's
    ends = [*resumed[1:], ordered[min(last_until, len(ordered)) - 1]]
    phases = []
    for start, end, running in zip(resumed, ends, itertools.accumulate(graders), strict=True):
        done = sum(1 for at in graded_at if start < at <= end)
        seconds = (end - start).total_seconds()
        rate = round(done / seconds, 2) if seconds > 0 else None
        phases.append(
            {"graders": running, "graded": done, "seconds": round(seconds, 2), "graded_per_second": rate}
        )
    return phases


def main(
    submissions: int = typer.Option(300),
    clients: int = typer.Option(20),
    timeout: float = typer.Option(600.0),
    graders: int = typer.Option(1, help="grader processes on the same queue (scale-out)"),
    grader_concurrency: int = typer.Option(0, help="submissions each grader grades at once (0: its default)"),
    backlog: bool = typer.Option(False, help="graders paused while sending: graded/s of a queued backlog"),
    scale: bool = typer.Option(
        False,
        help="on a backlog, one grader alone for the first 40 %, then every grader: both rates in one run",
    ),
    workload: str = typer.Option("light", help="light (tests that do nothing) or cpu (tests that compute)"),
    out_name: str = typer.Option("pipeline.json"),
    log_dir: Path | None = typer.Option(None, help="each service's log in this folder"),
) -> None:
    # The notifier's grade emails go to an SMTP sink in this process, as a deployment's go to its
    # relay (with none, each would be refused and retried, a cost no deployment has).
    sink, smtp_port = smtp_sink.MailSink(keep=False), free_port()
    controller = smtp_sink.start(sink, smtp_port)
    extra = {"SMTP_PORT": str(smtp_port)}
    if grader_concurrency:
        extra["CONCURRENCY"] = str(grader_concurrency)
    with provisioned_infra("gradeflow_bench") as infra:
        config = infra.stack_config(
            ports={s: free_port() for s in SERVICES}, extra_env=extra, log_dir=log_dir
        )
        stack = Stack(config)
        stack.start()
        time.sleep(2)  # settled: start-up's garbage collected, consumers idle
        pids = {name: p.proc.pid for name, p in stack.processes.items() if p.proc is not None}
        memory = Memory(pids)
        # More graders compete on grader.submissions, each with a port and sandbox uids of its own.
        more = [
            ServiceProcess(
                replace(
                    config,
                    ports={**config.ports, "grader": free_port()},
                    log_dir=log_dir / f"grader-{i + 2}" if log_dir else None,
                    extra_env={**extra, "SANDBOX_UID_BASE": str(60_000 + 100 * (i + 1))},
                ),
                "grader",
            )
            for i in range(graders - 1)
        ]
        try:
            for grader in more:
                grader.start()
                grader.wait_ready()
            grader_pids = [pids["grader"], *(g.proc.pid for g in more if g.proc is not None)]
            steps: list[tuple[list[int], int]] = []
            if scale:
                # The second phase ends while every grader still has work: the drain, when they
                # run out one by one (the last submission graded by one alone), is not scale-out.
                drained = submissions - 2 * len(grader_pids)
                steps = [(grader_pids[:1], int(submissions * 0.4)), (grader_pids[1:], drained)]
            elif backlog:
                steps = [(grader_pids, submissions)]
            gateway = config.url("gateway")
            with memory.sampling():
                report = asyncio.run(
                    _load(gateway, submissions, clients, infra, timeout, steps, WORKLOADS[workload])
                )
        finally:
            for grader in more:
                grader.stop()
            stack.stop()
            controller.stop()  # a failed start leaves a thread that dies with the process
    report["emails_accepted"] = sink.accepted
    report["graders"] = graders
    report["grader_concurrency"] = grader_concurrency or None
    report["backlog"] = backlog or scale
    report["workload"] = workload
    report["memory_mb"] = memory.figures()
    results.write(out_name.removesuffix(".json"), report)


if __name__ == "__main__":
    typer.run(main)

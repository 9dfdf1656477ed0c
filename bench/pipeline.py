"""Pipeline benchmark: the four services as processes on a scratch vhost and database; N
submissions sent by concurrent clients; figures for the API (POST latency) and the whole path
(accepted → graded, from the read model's timestamps). Prints them and writes JSON.

With --backlog the graders are paused (SIGSTOP) while the submissions are sent and published, then
resumed: graded/s is then the graders' own rate on a queued backlog, from resuming to the last one
graded, with nothing else of the run competing for the cores. With --scale (and --graders 2)
all graders warm up (not counted: WARM_UP), then one grader works alone, then all, in turn (one,
all, one, all, one: SCALE_CUTS): one grader's rate and all graders' in the same run, on the same
stack, through the same drift of the machine's speed (the scale-out figure); beside it, what two
bare processes running the same loop make of the machine's two vCPUs (bench/ceiling.py).

    uv run python -m bench.pipeline --submissions 300 --clients 20 [--graders 2 --backlog]
    uv run python -m bench.pipeline --submissions 200 --graders 2 --grader-concurrency 1 --scale \
        --workload cpu

--workload cpu sends solutions whose tests compute (a loop of 1.5 million steps a submission, about
100 ms) instead of doing nothing; cpu-heavy ten times as much (about a second): CPU-bound grading,
the scale-out's acceptance workload.
"""

import asyncio
import itertools
import os
import signal
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import typer

from bench import ceiling, cpu, results
from bench.course import SUM_TESTS, course_with_students, free_port, outbox_drained, sum_tests
from bench.memory import Memory
from gradeflow_tools.scratch import Infra, provisioned_infra
from gradeflow_tools.smtp_sink import MailSink
from gradeflow_tools.smtp_sink import start as start_smtp
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
# Ten times as much (about a second a submission): grading that computes as a judge's heavier
# tests do, where the rest of the system's cost per submission weighs a tenth as much.
CPU_HEAVY = Workload(sum_tests(*(n * 1_000_000 for n in range(1, 6))), _LOOP.format(""), _LOOP.format(" + 1"))
WORKLOADS = {"light": LIGHT, "cpu": CPU, "cpu-heavy": CPU_HEAVY}


@dataclass(frozen=True)
class Step:
    """At its start these graders are resumed and those paused (SIGSTOP, process group: the
    sandboxes too); it lasts until `until` submissions are graded in all. A warm-up step's phase
    is reported but not counted in the scale-out's rates."""

    resume: list[int]
    until: int
    pause: list[int] = field(default_factory=list)
    warm_up: bool = False


async def _load(
    gateway: str,
    submissions: int,
    clients: int,
    infra: Infra,
    timeout: float,
    steps: list[Step],
    workload: Workload,
    groups: dict[str, list[int]],
) -> dict[str, Any]:
    """`steps`: graders paused while the submissions are sent, then resumed (or paused) step by
    step, each step lasting until its count of submissions is graded. `groups`: the processes
    whose CPU each step is accounted to (bench/cpu.py)."""
    for step in steps:
        for pid in step.resume:
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
            await outbox_drained(conn, timeout)
        started, snapshots = await _run_steps(conn, steps, submissions, timeout, groups)
        rows = await conn.fetch(
            "SELECT extract(epoch FROM updated_at - created_at) * 1000 AS ms, created_at, updated_at "
            "FROM gateway.submissions WHERE status = 'graded'"
        )
    finally:
        await conn.close()
    path_ms = [float(r["ms"]) for r in rows]
    first = started[0] if started else min(r["created_at"] for r in rows)
    span = (max(r["updated_at"] for r in rows) - first).total_seconds()
    last_until = steps[-1].until if steps else submissions
    running = list(itertools.accumulate(len(s.resume) - len(s.pause) for s in steps))
    phases = _phases([r["updated_at"] for r in rows], started, running, last_until)
    for phase, before, after in zip(phases, snapshots, snapshots[1:], strict=False):
        phase["cpu_seconds"] = {g: round(v, 3) for g, v in cpu.spent(before, after).items()}
    for phase, step in zip(phases, steps, strict=False):
        if step.warm_up:
            phase["warm_up"] = True
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


async def _run_steps(
    conn: asyncpg.Connection,
    steps: list[Step],
    submissions: int,
    timeout: float,
    groups: dict[str, list[int]],
) -> tuple[list[datetime], list[dict[str, float]]]:
    """Each step: its graders resumed and paused, then wait until its count is graded; then every
    grader resumed, until every submission is graded. The database's time at each step's start,
    and the CPU each group had spent by then and by the last step's end (bench/cpu.py)."""
    started: list[datetime] = []
    snapshots: list[dict[str, float]] = []
    deadline = time.monotonic() + timeout
    for step in steps:
        snapshots.append(cpu.snapshot(groups))
        started.append(await conn.fetchval("SELECT now()"))
        for pid in step.pause:
            os.killpg(pid, signal.SIGSTOP)
        for pid in step.resume:
            os.killpg(pid, signal.SIGCONT)
        # Each look is a query the database answers beside the graders, so a step's end is looked
        # for a few times a second: a step that runs on a little past its count changes no rate
        # (each is what was graded between the steps' starts, by the database's clock).
        await _wait_graded(conn, step.until, deadline, 0.2)
    if steps:
        snapshots.append(cpu.snapshot(groups))
    for step in steps:
        for pid in step.pause:
            os.killpg(pid, signal.SIGCONT)
    await _wait_graded(conn, submissions, deadline, 0.5)
    return started, snapshots


def _phases(
    graded_at: list[datetime], started: list[datetime], running: list[int], last_until: int
) -> list[dict[str, Any]]:
    """Graded/s in each step, with `running` graders: from its start to the next step's (the last:
    until `last_until` were graded in all), counting what was graded in between."""
    ordered = sorted(graded_at)
    if not started or not ordered:
        return []  # nothing paused: one phase, the whole run's
    ends = [*started[1:], ordered[min(last_until, len(ordered)) - 1]]
    phases = []
    for start, end, graders in zip(started, ends, running, strict=True):
        done = sum(1 for at in graded_at if start < at <= end)
        seconds = (end - start).total_seconds()
        rate = round(done / seconds, 2) if seconds > 0 else None
        phases.append(
            {"graders": graders, "graded": done, "seconds": round(seconds, 2), "graded_per_second": rate}
        )
    return phases


# Where each phase of the scale-out run ends (a fraction of the submissions graded): every grader
# warming up (not measured: a process's first submissions were its slowest, and only the lone
# grader's rate had them), then one grader, all, one, all, one; the rest is drained by all and not
# measured either.
WARM_UP = 0.04
SCALE_CUTS = (0.16, 0.41, 0.53, 0.78, 0.90)


def _alternating(first: list[int], others: list[int], submissions: int) -> list[Step]:
    """One grader alone and all of them in turn: the machine's speed moves from minute to minute
    by more than the figure tolerates (the same lone grader measured 6.1 and 7.4 graded/s within
    the hour), and a run's first seconds are its slowest; phases taken in turn see the same drift.
    A grader paused between phases holds what it had taken (the submission it was grading, the
    one taken ahead) until it is resumed in the next phase of all, which finishes them (a test
    paused past its wall-clock limit is stopped there)."""
    steps = [Step([*first, *others], max(1, int(submissions * WARM_UP)), warm_up=True)]
    for i, cut in enumerate(SCALE_CUTS):
        until = int(submissions * cut)
        if i % 2:
            steps.append(Step(others, until))
        else:
            steps.append(Step([], until, pause=others))
    return steps


def scale_out(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """One grader's rate (its phases together) and all graders' (theirs), and the ratio."""
    phases = [p for p in phases if not p.get("warm_up")]
    most = max(p["graders"] for p in phases)
    rates = {}
    for name, graders in (("one", 1), ("all", most)):
        graded = sum(p["graded"] for p in phases if p["graders"] == graders)
        seconds = sum(p["seconds"] for p in phases if p["graders"] == graders)
        rates[name] = {"graders": graders, "graded": graded, "seconds": round(seconds, 2),
                       "graded_per_second": round(graded / seconds, 2)}  # fmt: skip
    rates["ratio"] = round(rates["all"]["graded_per_second"] / rates["one"]["graded_per_second"], 3)
    rates["cpu"] = {name: _cpu_per_graded(phases, rates[name]["graders"]) for name in ("one", "all")}
    return rates


def _cpu_per_graded(phases: list[dict[str, Any]], graders: int) -> dict[str, float]:
    """In the phases with `graders`: each group's CPU milliseconds per submission graded, and
    the machine's busy and idle cores."""
    mine = [p for p in phases if p["graders"] == graders and "cpu_seconds" in p]
    graded, seconds = sum(p["graded"] for p in mine), sum(p["seconds"] for p in mine)
    if not graded or not seconds:
        return {}
    totals: dict[str, float] = {}
    for phase in mine:
        for group, spent in phase["cpu_seconds"].items():
            totals[group] = totals.get(group, 0.0) + spent
    figures = {f"{g}_ms": round(v * 1000 / graded, 1) for g, v in totals.items() if g not in ("idle", "busy")}
    figures["busy_cores"] = round(totals["busy"] / seconds, 2)
    figures["idle_cores"] = round(totals["idle"] / seconds, 2)
    return figures


def main(
    submissions: int = typer.Option(300),
    clients: int = typer.Option(20),
    timeout: float = typer.Option(600.0),
    graders: int = typer.Option(1, help="grader processes on the same queue (scale-out)"),
    grader_concurrency: int = typer.Option(0, help="submissions each grader grades at once (0: its default)"),
    backlog: bool = typer.Option(False, help="graders paused while sending: graded/s of a queued backlog"),
    scale: bool = typer.Option(
        False,
        help="on a backlog, one grader alone and every grader in turn (SCALE_CUTS): both rates in one run",
    ),
    workload: str = typer.Option(
        "light",
        help="light (tests that do nothing), cpu (tests that compute) or cpu-heavy (ten times as long)",
    ),
    out_name: str = typer.Option("pipeline.json"),
    log_dir: Path | None = typer.Option(None, help="each service's log in this folder"),
) -> None:
    # Measured first, on a quiet machine: what two bare processes make of its two vCPUs.
    machine_ceiling = ceiling.measure() if scale else None
    # The notifier's grade emails go to an SMTP sink in this process, as a deployment's go to its
    # relay (with none, each would be refused and retried, a cost no deployment has).
    sink, smtp_port = MailSink(keep=False), free_port()
    controller = start_smtp(sink, smtp_port)
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
                    extra_env={
                        **config.extra_env,
                        "SANDBOX_UID_BASE": str(int(config.extra_env["SANDBOX_UID_BASE"]) + 100 * (i + 1)),
                    },
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
            steps: list[Step] = []
            if scale:
                steps = _alternating(grader_pids[:1], grader_pids[1:], submissions)
            elif backlog:
                steps = [Step(grader_pids, submissions)]
            gateway = config.url("gateway")
            groups = {name: [pid] for name, pid in pids.items() if name != "grader"}
            groups["graders"] = grader_pids
            with memory.sampling():
                report = asyncio.run(
                    _load(gateway, submissions, clients, infra, timeout, steps, WORKLOADS[workload], groups)
                )
        finally:
            for grader in more:
                grader.stop()
            stack.stop()
            controller.stop()  # a failed start leaves a thread that dies with the process
    report["emails_accepted"] = sink.accepted
    report["graders"] = graders
    report["grader_concurrency"] = grader_concurrency or None
    if scale:
        report["scale"] = {**scale_out(report["phases"]), "bare_processes": machine_ceiling}
    report["backlog"] = backlog or scale
    report["workload"] = workload
    report["memory_mb"] = memory.figures()
    results.write(out_name.removesuffix(".json"), report)


if __name__ == "__main__":
    typer.run(main)

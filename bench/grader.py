"""Grader benchmark: the sandbox's overhead per run against the same program started bare, and
graded submissions per second (compile once + 10 tests + clean-up) for Python and C at
concurrency 1 and 2; Python both forked from the fork server (the default) and started afresh per
test. Prints the figures and writes bench/results/grader.json.

    make bench-grader        # = uv run python -m bench.grader
"""

import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import typer

from grader.adapters.sandbox import BwrapSandbox
from grader.domain.grading import Limits, verdict_of
from grader.domain.languages import LANGUAGES

RESULTS = Path(__file__).parent / "results"
LIMITS = Limits(time_ms=2000, memory_mb=256, output_bytes=64 * 1024)
PROGRAMS = {
    "python": "n = int(input())\nprint(sum(range(1, n + 1)))\n",
    "c": '#include <stdio.h>\nint main(){long n;scanf("%ld",&n);printf("%ld\\n",n*(n+1)/2);return 0;}\n',
}
TESTS = [(f"{n}\n", f"{n * (n + 1) // 2}\n") for n in range(1, 11)]


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "mean": round(statistics.fmean(values), 3),
        "p50": round(ordered[len(ordered) // 2], 3),
        "p95": round(ordered[int(len(ordered) * 0.95)], 3),
    }


def _bare_run(argv: list[str], cwd: str, stdin: str) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, input=stdin.encode(), capture_output=True, check=True)
    return (time.perf_counter() - started) * 1000


async def overhead(sandbox: BwrapSandbox, language: str, runs: int) -> dict[str, Any]:
    """The same built program started bare and in the sandbox, per run. The sandbox runs a
    submission's tests in one set of namespaces, so a run's cost is measured as a 10-test batch
    divided by 10 (what grading pays), beside a single-run sandbox (what an ad-hoc run pays)."""
    build = await sandbox.prepare(language, PROGRAMS[language])
    box = Path(build.path) / "box"
    argv = [a.replace("/box", str(box)) for a in LANGUAGES[language].run]
    bare, batched, single = [], [], []
    try:
        for _ in range(runs // 10):
            for _ in range(10):
                bare.append(await asyncio.to_thread(_bare_run, argv, str(box), "10\n"))
            started = time.perf_counter()
            executions = await sandbox.run_all(build, ["10\n"] * 10, LIMITS)
            batched.append((time.perf_counter() - started) * 1000 / 10)
            assert all(verdict_of(e, "55\n") == "accepted" for e in executions), executions
            started = time.perf_counter()
            await sandbox.run(build, "10\n", LIMITS)
            single.append((time.perf_counter() - started) * 1000)
    finally:
        await sandbox.discard(build)
    return {
        "bare_ms": _ms(bare),
        "sandboxed_per_run_in_a_10_test_batch_ms": _ms(batched),
        "sandboxed_single_run_ms": _ms(single),
        "overhead_ms_per_run": round(statistics.median(batched) - statistics.median(bare), 3),
        "overhead_ms_single_run": round(statistics.median(single) - statistics.median(bare), 3),
    }


async def throughput(sandbox: BwrapSandbox, language: str, submissions: int, concurrency: int) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(submissions):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            queue.get_nowait()
            build = await sandbox.prepare(language, PROGRAMS[language])
            try:
                executions = await sandbox.run_all(build, [stdin for stdin, _ in TESTS], LIMITS)
                for execution, (_, expected) in zip(executions, TESTS, strict=True):
                    assert verdict_of(execution, expected) == "accepted", execution
            finally:
                await sandbox.discard(build)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return round(submissions / (time.perf_counter() - started), 2)


async def _main(runs: int, submissions: int) -> dict[str, Any]:
    root = Path(tempfile.gettempdir())
    sandbox = BwrapSandbox(root / "gradeflow-bench-sandbox", 61_200, slots=2)
    # The other route, for comparison: Python started afresh for every test instead of forked
    # from the per-submission fork server.
    exec_each = BwrapSandbox(root / "gradeflow-bench-exec", 61_210, slots=2, zygote=False)
    for each in (sandbox, exec_each):
        await each.start()
    report: dict[str, Any] = {"overhead": {}, "submissions_per_second": {}}
    routes = [
        ("python", sandbox, "python"),
        ("python, started per test", exec_each, "python"),
        ("c", sandbox, "c"),
    ]
    for name, box, language in routes:
        report["overhead"][name] = await overhead(box, language, runs)
        for concurrency in (1, 2):
            rate = await throughput(box, language, submissions, concurrency)
            report["submissions_per_second"][f"{name}, 10 tests, concurrency {concurrency}"] = rate
    return report


def main(runs: int = typer.Option(200), submissions: int = typer.Option(40)) -> None:
    report = asyncio.run(_main(runs, submissions))
    report["machine"] = {"cpus": os.cpu_count()}
    report["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "grader.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    typer.run(main)

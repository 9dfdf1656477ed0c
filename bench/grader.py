"""Grader benchmark: the sandbox's overhead per run against the same program started bare, and
graded submissions per second (compile once + 10 tests + clean-up) for Python and C at
concurrency 1 and 2; Python both forked from the fork server (the default) and started afresh per
test. In the same run of the command: this tree's sandbox with and without its ready sandboxes,
and the grader of a baseline commit (by default the last one before the sandbox's containment),
measured by that commit's own copy of this benchmark. Prints the figures and writes
bench/results/grader.json.

    make bench-grader        # = uv run python -m bench.grader [--baseline REV | --baseline ""]
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

import typer

from grader.adapters.sandbox import BwrapSandbox
from grader.domain.grading import Limits, verdict_of
from grader.domain.languages import LANGUAGES

RESULTS = Path(__file__).parent / "results"
REPO = Path(__file__).parent.parent
BASELINE = "4166894"  # the sandbox before its cgroups, tmpfs caps, seccomp and pool
LIMITS = Limits(time_ms=2000, memory_mb=256, output_bytes=64 * 1024)
PROGRAMS = {
    "python": "n = int(input())\nprint(sum(range(1, n + 1)))\n",
    "c": '#include <stdio.h>\nint main(){long n;scanf("%ld",&n);printf("%ld\\n",n*(n+1)/2);return 0;}\n',
    "cpp": "#include <iostream>\nint main(){long n;std::cin>>n;std::cout<<n*(n+1)/2<<std::endl;}\n",
    "javascript": (
        "const n = parseInt(require('fs').readFileSync(0, 'utf8'));\nconsole.log(n * (n + 1) / 2);\n"
    ),
    "java": (
        "import java.util.Scanner;\npublic class Main {\n  public static void main(String[] a) {\n"
        "    long n = new Scanner(System.in).nextLong();\n    System.out.println(n * (n + 1) / 2);\n  }\n}\n"
    ),
}
# Measured for their submissions' rate only (the capacity model's language mix, docs/scaling.md).
RATE_ONLY = ("cpp", "javascript", "java")
TESTS = [(f"{n}\n", f"{n * (n + 1) // 2}\n") for n in range(1, 11)]
IDLE_S = 0.03  # before a lone run: an ad-hoc run finds its slot idle, its ready sandbox started


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


async def _timed_run(sandbox: BwrapSandbox, build: Any) -> float:
    started = time.perf_counter()
    execution = await sandbox.run(build, "10\n", LIMITS)
    assert verdict_of(execution, "55\n") == "accepted", execution
    return (time.perf_counter() - started) * 1000


async def overhead(sandbox: BwrapSandbox, language: str, runs: int) -> dict[str, Any]:
    """The same built program started bare and in the sandbox, per run. The sandbox runs a
    submission's tests in one set of namespaces, so a run's cost is measured as a 10-test batch
    divided by 10 (what grading pays), beside a lone run in its own sandbox (what an ad-hoc run or
    a one-test assignment pays): on a slot idle for a moment, and right after the slot's last run
    (when its next ready sandbox is still starting)."""
    build = await sandbox.prepare(language, PROGRAMS[language])
    box = Path(build.path) / "box"
    argv = [a.replace("/box", str(box)) for a in LANGUAGES[language].run]
    bare, batched, lone, back_to_back = [], [], [], []
    try:
        for _ in range(runs // 10):
            for _ in range(10):
                bare.append(await asyncio.to_thread(_bare_run, argv, str(box), "10\n"))
            started = time.perf_counter()
            executions = await sandbox.run_all(build, ["10\n"] * 10, LIMITS)
            batched.append((time.perf_counter() - started) * 1000 / 10)
            assert all(verdict_of(e, "55\n") == "accepted" for e in executions), executions
        for _ in range(runs // 2):
            bare.append(await asyncio.to_thread(_bare_run, argv, str(box), "10\n"))
            await asyncio.sleep(IDLE_S)
            lone.append(await _timed_run(sandbox, build))
            back_to_back.append(await _timed_run(sandbox, build))
    finally:
        await sandbox.discard(build)
    bare_p50 = statistics.median(bare)
    return {
        "bare_ms": _ms(bare),
        "sandboxed_per_run_in_a_10_test_batch_ms": _ms(batched),
        "sandboxed_single_run_ms": _ms(lone),
        "sandboxed_single_run_back_to_back_ms": _ms(back_to_back),
        "overhead_ms_per_run": round(statistics.median(batched) - bare_p50, 3),
        "overhead_ms_single_run": round(statistics.median(lone) - bare_p50, 3),
        "overhead_ms_single_run_back_to_back": round(statistics.median(back_to_back) - bare_p50, 3),
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


async def measure(runs: int, submissions: int, ready: bool) -> dict[str, Any]:
    root = Path(tempfile.gettempdir())
    sandbox = BwrapSandbox(root / "gradeflow-bench-sandbox", 61_200, slots=2, ready=ready)
    # The other route, for comparison: Python started afresh for every test instead of forked
    # from the per-submission fork server.
    exec_each = BwrapSandbox(root / "gradeflow-bench-exec", 61_210, slots=2, zygote=False, ready=ready)
    for each in (sandbox, exec_each):
        await each.start()
    report: dict[str, Any] = {"overhead": {}, "submissions_per_second": {}}
    routes = [
        ("python", sandbox, "python"),
        ("python, started per test", exec_each, "python"),
        ("c", sandbox, "c"),
    ]
    try:
        for name, box, language in routes:
            report["overhead"][name] = await overhead(box, language, runs)
            for concurrency in (1, 2):
                rate = await throughput(box, language, submissions, concurrency)
                report["submissions_per_second"][f"{name}, 10 tests, concurrency {concurrency}"] = rate
        if ready:
            for language in RATE_ONLY:
                for concurrency in (1, 2):
                    rate = await throughput(sandbox, language, submissions, concurrency)
                    report["submissions_per_second"][f"{language}, 10 tests, concurrency {concurrency}"] = (
                        rate
                    )
    finally:
        for each in (sandbox, exec_each):
            await each.close()
    return report


def baseline(rev: str, runs: int, submissions: int) -> dict[str, Any]:
    """The baseline commit's grader, measured by its own copy of this benchmark, now."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "services/grader", "shared", "bench"],
        capture_output=True,
        check=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="gradeflow-baseline-") as tree:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        # Its packages come first on the path, before this tree's installed ones.
        path = os.pathsep.join([f"{tree}/services/grader", f"{tree}/shared", tree])
        subprocess.run(
            [sys.executable, "-m", "bench.grader", "--runs", str(runs), "--submissions", str(submissions)],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": path},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        report: dict[str, Any] = json.loads((Path(tree) / "bench" / "results" / "grader.json").read_text())
    report["commit"] = rev
    return report


def _summary(report: dict[str, Any]) -> list[str]:
    lines = []
    columns = [(k, v) for k, v in report.items() if isinstance(v, dict) and "overhead" in v]
    lines.append("| | " + " | ".join(name for name, _ in columns) + " |")
    lines.append("|---" * (len(columns) + 1) + "|")
    for route in ("python", "python, started per test", "c"):
        for key, label in (
            ("overhead_ms_per_run", "overhead per run of a 10-test batch"),
            ("overhead_ms_single_run", "lone run overhead"),
            ("overhead_ms_single_run_back_to_back", "lone run overhead, back to back"),
        ):
            cells = [str(c["overhead"][route].get(key, "-")) for _, c in columns]
            lines.append(f"| {route}: {label} (ms) | " + " | ".join(cells) + " |")
    for key in columns[0][1]["submissions_per_second"]:
        cells = [str(c["submissions_per_second"].get(key, "-")) for _, c in columns]
        lines.append(f"| {key} (submissions/s) | " + " | ".join(cells) + " |")
    return lines


def main(
    runs: int = typer.Option(200),
    submissions: int = typer.Option(40),
    baseline_rev: str = typer.Option(BASELINE, "--baseline", help="'' to skip"),
) -> None:
    report: dict[str, Any] = {}
    if baseline_rev:
        report[f"baseline {baseline_rev}"] = baseline(baseline_rev, runs, submissions)
    report["without ready sandboxes"] = asyncio.run(measure(runs, submissions, ready=False))
    report["now"] = asyncio.run(measure(runs, submissions, ready=True))
    report["machine"] = {"cpus": os.cpu_count()}
    report["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "grader.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print("\n".join(_summary(report)))


if __name__ == "__main__":
    typer.run(main)

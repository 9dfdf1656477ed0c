"""The current code against an earlier commit, in one run on one machine: the end-to-end pipeline,
the gateway under k6 and the course-event fan-out, each run on both, alternating which goes first,
so a change is judged against figures taken minutes apart rather than on another day's machine.
The earlier commit is checked out beside this one (a git worktree with its own environment, made
once and kept under /tmp); each side writes its own bench/results/, read back here. Prints a table
and writes bench/results/versus.json.

    uv run python -m bench.versus --baseline <commit> [--rounds 1]
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import typer

from bench import results

ROOT = Path(__file__).parent.parent
cli = typer.Typer(add_completion=False)
# Each benchmark: its arguments, the result file it writes, and the figures compared (a path into
# its JSON, and whether more is better).
BENCHES: dict[str, tuple[list[str], str, dict[str, tuple[tuple[str, ...], bool]]]] = {
    "pipeline": (
        ["--submissions", "600", "--clients", "20"],
        "pipeline",
        {"graded/s": (("graded_per_second",), True), "accepted/s": (("accepted_per_second",), True)},
    ),
    "gateway": (
        ["--stage", "12s"],
        "gateway",
        {
            "arrival requests/s": (("gateway", "arrival", "per_second"), True),
            "arrival p95 ms": (("gateway", "arrival", "latency_ms", "p(95)"), False),
            "arrival errors": (("gateway", "arrival", "errors"), False),
            "ramp requests/s": (("gateway", "ramp", "per_second"), True),
            "ramp p95 ms": (("gateway", "ramp", "latency_ms", "p(95)"), False),
            "ramp errors": (("gateway", "ramp", "errors"), False),
        },
    ),
    "fanout": (
        ["--sizes", "10000,100000"],
        "fanout",
        {
            "10k inbox rows s": (("10000", "inbox_rows_seconds"), False),
            "100k inbox rows s": (("100000", "inbox_rows_seconds"), False),
            "100k emails/s": (("100000", "emails_per_second"), True),
        },
    ),
}


def _tree(baseline: str) -> Path:
    """The baseline's worktree with its environment synced (made once)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", baseline], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    tree = Path(f"/tmp/gradeflow-baseline-{commit}")
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT, check=True)
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    # Both sides compiled ahead, as `make install` does: no side pays for compiling in its processes.
    subprocess.run(
        ["uv", "sync", "--frozen", "--all-packages", "--compile-bytecode", "--quiet"],
        cwd=tree,
        env=env,
        check=True,
    )
    compile_sources = [
        "uv",
        "run",
        "--frozen",
        "python",
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "shared",
        "services",
        "tools",
    ]
    subprocess.run(compile_sources, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    modules = Path("services/metrics/metrics/dashboard/node_modules")  # the dashboard's chart.js
    if (ROOT / modules).exists() and not (tree / modules).exists():
        shutil.copytree(ROOT / modules, tree / modules)
    return tree


def _run(tree: Path, name: str) -> dict[str, Any]:
    args, out, _ = BENCHES[name]
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    python = tree / ".venv" / "bin" / "python"
    started = time.monotonic()
    subprocess.run([str(python), "-m", f"bench.{name}", *args], cwd=tree, env=env, check=True, timeout=1800)
    print(f"  {name} in {tree.name}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    found: dict[str, Any] = json.loads((tree / "bench" / "results" / f"{out}.json").read_text())
    return found


def _figure(report: dict[str, Any], path: tuple[str, ...]) -> float:
    node: Any = report
    for key in path:
        node = node[key]
    return float(node)


@cli.command()
def main(
    baseline: str = typer.Option(...), rounds: int = typer.Option(1), only: str = typer.Option("")
) -> None:
    old = _tree(baseline)
    names = [n for n in BENCHES if not only or n in only.split(",")]
    figures: dict[str, dict[str, list[float]]] = {}
    for r in range(rounds):
        for i, name in enumerate(names):
            order = [("current", ROOT), ("baseline", old)]
            if (r + i) % 2:
                order.reverse()  # alternate which goes first: the machine warms and cools
            for side, tree in order:
                report = _run(tree, name)
                for label, (path, _) in BENCHES[name][2].items():
                    figures.setdefault(f"{name}: {label}", {}).setdefault(side, []).append(
                        _figure(report, path)
                    )
    rows = []
    for key, sides in figures.items():
        name, label = key.split(": ", 1)
        higher = BENCHES[name][2][label][1]
        cur, base = (sum(v) / len(v) for v in (sides["current"], sides["baseline"]))
        change = (cur - base) / base * 100 if base else 0.0
        rows.append(
            {
                "figure": key,
                "current": round(cur, 2),
                "baseline": round(base, 2),
                "change_percent": round(change, 1),
                "better": "higher" if higher else "lower",
            }
        )
        better = "higher" if higher else "lower"
        print(f"{key:32} current {cur:10.2f}  baseline {base:10.2f}  {change:+6.1f} %  ({better} is better)")
    results.write("versus", {"baseline": baseline, "rounds": rounds, "figures": rows})


if __name__ == "__main__":
    cli()

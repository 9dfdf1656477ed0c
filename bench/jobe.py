"""Jobe-style throughput: sustained runs per second of a minimal C and a minimal Python program
through the Jobe-compatible API at a fixed concurrency (each client posts a run and waits for its
answer, as CodeRunner does), the four services on this box. Jobe's published figures: 18 C and 18
Python runs/s sustained on an 8-core server. Writes bench/results/jobe.json.

    uv run python -m bench.jobe [--seconds 30] [--concurrency 8]
"""

import argparse
import asyncio
import collections
import time
from typing import Any

import httpx

from bench.course import login, running_stack
from bench.results import percentile, write

API = "/jobe/index.php/restapi"
PROGRAMS = {
    "c": '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n',
    "python3": "print('hello')\n",
}


async def _load(
    client: httpx.AsyncClient, key: str, language: str, seconds: float, concurrency: int
) -> dict[str, Any]:
    body = {"run_spec": {"language_id": language, "sourcecode": PROGRAMS[language]}}
    latencies: list[float] = []
    outcomes: collections.Counter[str] = collections.Counter()
    errors = 0
    deadline = time.monotonic() + seconds

    async def client_loop() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                r = await client.post(f"{API}/runs", json=body, headers={"X-API-KEY": key}, timeout=120)
            except httpx.HTTPError:
                errors += 1
                continue
            if r.status_code != 200:
                errors += 1
                continue
            outcomes[str(r.json()["outcome"])] += 1
            if r.json()["outcome"] == 15 and r.json()["stdout"] == "hello\n":
                latencies.append((time.monotonic() - started) * 1000)

    began = time.monotonic()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    elapsed = time.monotonic() - began
    return {
        "language": language,
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "runs_ok": len(latencies),
        "runs_per_second": round(len(latencies) / elapsed, 2),
        "p50_ms": percentile(latencies, 0.5) if latencies else None,
        "p95_ms": percentile(latencies, 0.95) if latencies else None,
        "outcomes": dict(outcomes),
        "errors": errors,
    }


async def _bench(base_url: str, seconds: float, concurrency: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        _, token = await login(client, f"jobe-{time.time_ns()}")
        r = await client.post(
            "/v1/api-keys",
            json={"name": "bench", "scopes": ["runs"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        r.raise_for_status()
        key = r.json()["key"]
        for language in PROGRAMS:  # warm: toolchains loaded, sandboxes ready
            await _load(client, key, language, 3, concurrency)
        return [await _load(client, key, language, seconds, concurrency) for language in PROGRAMS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    # Runs unlimited here: the bench measures the pipeline, not the rate limit of 100 a minute.
    env = {"RATE_LIMITS": "{}", "MAX_RUN_BACKLOG": "0"}
    with running_stack(env) as (config, _, _):
        figures = asyncio.run(_bench(config.url("gateway"), args.seconds, args.concurrency))
    write(
        "jobe",
        {
            "benchmark": "Jobe API: sustained runs/s of a minimal program, each client awaiting its answer",
            "jobe_published": {"c_runs_per_second": 18, "python_runs_per_second": 18, "server": "8 cores"},
            "results": figures,
        },
    )


if __name__ == "__main__":
    main()

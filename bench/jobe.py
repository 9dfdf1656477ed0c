"""Jobe's own performance method (its testsubmit.py --perf), with a client of our own: for each
language, the simplest program of Jobe's test suite, first in bursts — 1, 2, 4, … submissions at
once, each burst all answered correctly or the search stops — then at steady rates over a window
of seconds, from half the best burst rate up (by one a second below ten, then by a fifth) until a
run is not answered correctly. As in testsubmit.py, a rate holds when every run sent at it is
answered correctly (its answer may come after the window); the rate at which the runs were
actually completed is reported beside it. The four services on this box, the key without a limit
of its own (an admin's, as a Moodle site's would be). Jobe's published figures (its README, 8
cores): sustained C 18, Python 18, Node.js 13, C++ 5, Java 2 runs/s; bursts of 128. Writes
bench/results/jobe.json.

    uv run python -m bench.jobe [--window 10] [--languages python3,c,nodejs,java,cpp] [--climb]
"""

import argparse
import asyncio
import time
from typing import Any

import httpx

from bench.course import login, running_stack
from bench.results import percentile, write

API = "/jobe/index.php/restapi"
ADMIN = "bench-admin"  # logs in as bench-admin@example.com
# The first program of each language in Jobe's testsubmit.py (what its --perf runs), and its output.
PROGRAMS: dict[str, tuple[str, str]] = {
    "python3": ('print("Hello world!")\n', "Hello world!\n"),
    "c": (
        '#include <stdio.h>\nint main() {\n    printf("Hello world\\nIsn\'t this fun!\\n");\n}\n',
        "Hello world\nIsn't this fun!\n",
    ),
    "nodejs": ('console.log("Hello world!");\n', "Hello world!\n"),
    "java": (
        "public class Test {\n    public static void main(String[] args) {\n"
        '        System.out.println("What a lot of code I need to write.");\n    }\n}\n',
        "What a lot of code I need to write.\n",
    ),
    "cpp": (
        '#include <iostream>\nusing namespace std;\nint main() {\n    cout << "Hello world" << endl'
        ' << "Isn\'t this fun!" << endl;\n}\n',
        "Hello world\nIsn't this fun!\n",
    ),
}
JOBE_PUBLISHED = {"c": 18, "python3": 18, "nodejs": 13, "cpp": 5, "java": 2}
MAX_BURST = {"python3": 256, "c": 256, "nodejs": 128, "java": 32, "cpp": 64}  # the search stops here


class Runner:
    def __init__(self, client: httpx.AsyncClient, key: str, language: str) -> None:
        self.client, self.key, self.language = client, key, language
        source, self.expected = PROGRAMS[language]
        self.body = {"run_spec": {"language_id": language, "sourcecode": source}}

    async def one(self) -> tuple[bool, float]:
        """(answered correctly, seconds to the answer)."""
        started = time.monotonic()
        try:
            r = await self.client.post(
                f"{API}/runs", json=self.body, headers={"X-API-KEY": self.key}, timeout=120
            )
            ok = r.status_code == 200 and (r.json()["outcome"], r.json()["stdout"]) == (15, self.expected)
        except httpx.HTTPError:
            ok = False
        return ok, time.monotonic() - started

    async def burst(self, n: int) -> tuple[bool, float]:
        """(all answered correctly, runs a second: n over the time to the last answer)."""
        started = time.monotonic()
        answers = await asyncio.gather(*(self.one() for _ in range(n)))
        return all(ok for ok, _ in answers), n / (time.monotonic() - started)

    async def steady(self, rate: float, window: float) -> dict[str, Any]:
        """Runs sent `rate` a second for `window` seconds, each awaited on its own."""
        started, tasks = time.monotonic(), []
        for i in range(int(rate * window)):
            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
            tasks.append(asyncio.create_task(self.one()))
        answers = await asyncio.gather(*tasks)
        latencies = [seconds * 1000 for _, seconds in answers]
        return {
            "rate": round(rate, 1),
            "held": all(ok for ok, _ in answers),
            "completed_per_second": round(len(answers) / (time.monotonic() - started), 2),
            "p50_ms": percentile(latencies, 0.5),
            "p95_ms": percentile(latencies, 0.95),
        }


def without_backlog(steady: list[dict[str, Any]]) -> float | None:
    """The highest rate held whose runs were completed as fast as they were sent (within a tenth):
    what the system keeps up with, where testsubmit's criterion also passes a rate whose backlog
    drains after the window."""
    kept = [s["rate"] for s in steady if s["held"] and s["completed_per_second"] >= 0.9 * s["rate"]]
    return max(kept, default=None)


async def _language(runner: Runner, window: float, climb: bool) -> dict[str, Any]:
    bursts, best, n = [], 0.0, 1
    while n <= MAX_BURST[runner.language]:
        ok, rate = await runner.burst(n)
        bursts.append({"submissions": n, "ok": ok, "per_second": round(rate, 1)})
        print(f"  {runner.language} burst {n}: {'OK' if ok else 'FAIL'} {rate:.1f}/s", flush=True)
        if not ok:
            break
        best, n = max(best, rate), n * 2
    steady, rate, held = [], max(1.0, int(best * 0.5)), None
    for _ in range(12):  # bounded: the search climbs by a fifth a step
        step = await runner.steady(rate, window)
        steady.append(step)
        print(f"  {runner.language} steady {rate:.0f}/s: {step}", flush=True)
        if not step["held"]:
            break
        held = step
        if not climb and step["completed_per_second"] < 0.8 * step["rate"]:
            break  # a backlog builds: past what it keeps up with (--climb: on, as testsubmit.py)
        rate = rate + 1 if rate < 10 else int(rate * 1.2)
    return {
        "language": runner.language,
        "largest_burst_ok": max((b["submissions"] for b in bursts if b["ok"]), default=0),
        "best_burst_per_second": round(best, 1),
        "sustained_per_second": held["rate"] if held else None,
        "sustained_completed_per_second": held["completed_per_second"] if held else None,
        "sustained_without_backlog": without_backlog(steady),
        "jobe_published_per_second": JOBE_PUBLISHED[runner.language],
        "bursts": bursts,
        "steady": steady,
    }


async def _bench(base_url: str, window: float, languages: list[str], climb: bool) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(
        base_url=base_url, timeout=30, limits=httpx.Limits(max_connections=600)
    ) as client:
        _, token = await login(client, f"jobe-{time.time_ns()}")
        made = await client.post(
            "/v1/api-keys",
            json={"name": "bench", "scopes": ["runs"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        made.raise_for_status()
        _, admin = await login(client, ADMIN)
        unlimited = await client.put(
            f"/v1/api-keys/{made.json()['id']}/runs-rate",
            json={"runs": 0, "per": "hour"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        unlimited.raise_for_status()
        results = []
        for language in languages:
            runner = Runner(client, made.json()["key"], language)
            await runner.burst(4)  # warm: toolchains loaded, sandboxes ready
            results.append(await _language(runner, window, climb))
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--window", type=float, default=10, help="seconds each steady rate is held")
    parser.add_argument("--languages", default=",".join(PROGRAMS))
    parser.add_argument(
        "--climb", action="store_true", help="past the first backlog, until a run fails (testsubmit.py's way)"
    )
    args = parser.parse_args()
    # The deployment's own limits as they are: the key is an admin's, with no limit of its own.
    env = {"ADMIN_EMAILS": f'["{ADMIN}@example.com"]', "MAX_RUN_BACKLOG": "0"}
    with running_stack(env) as (config, _, _):
        languages = args.languages.split(",")
        figures = asyncio.run(_bench(config.url("gateway"), args.window, languages, args.climb))
    write(
        "jobe",
        {
            "benchmark": "Jobe's --perf method: largest correct burst, then the highest steady rate held",
            "window_seconds": args.window,
            "climbed": args.climb,
            "jobe_published": {"per_second": JOBE_PUBLISHED, "burst": 128, "server": "8 cores"},
            "results": figures,
        },
    )


if __name__ == "__main__":
    main()

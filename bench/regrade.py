"""A regrade of 10,000 submissions while live submissions arrive: what it costs the students
submitting now. The four services as processes; an assignment with 10,000 graded submissions
(written straight into the gateway's read model: grading them first would take most of the run),
its tests then changed (suite version 2) and all 10,000 regraded, while live submissions arrive at
a steady rate. Measured: each live submission's time to grade (created → graded, the gateway's
clock) without a regrade and during one, p50/p95; the regrade's throughput over the same window.
Writes bench/results/regrade.json.

    uv run python -m bench.regrade                          # 10,000 regraded, live at 5/s, 90 s each
"""

import asyncio
import time
import uuid
from typing import Any

import asyncpg
import httpx
import typer

from bench.course import course_with_students, running_stack
from bench.results import write

SOURCE = "n = int(input())\nprint(n * (n + 1) // 2)\n"  # passes bench.course's sum tests
LIVE_TIMES = """
    SELECT extract(epoch FROM updated_at - created_at) FROM gateway.submissions
    WHERE id = ANY($1::uuid[]) AND status = 'graded'
"""


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)


async def _live(
    client: httpx.AsyncClient, assignment: str, tokens: list[str], rate: float, seconds: float
) -> list[str]:
    """Submissions at `rate` a second for `seconds`: their ids."""
    ids: list[str] = []
    started, i = time.monotonic(), 0
    while time.monotonic() - started < seconds:
        body = {"assignment_id": assignment, "language": "python", "source": SOURCE}
        r = await client.post(
            "/v1/submissions", json=body, headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
        )
        if r.status_code == 202:
            ids.append(r.json()["id"])
        i += 1
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
    return ids


async def _times(conn: asyncpg.Connection, ids: list[str], timeout: float = 300) -> list[float]:
    """Each live submission's seconds to grade, once all are graded (or `timeout` passed)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await conn.fetch(LIVE_TIMES, [uuid.UUID(i) for i in ids])
        if len(rows) == len(ids) or time.monotonic() > deadline:
            return [float(r[0]) for r in rows]
        await asyncio.sleep(1)


async def _seed(conn: asyncpg.Connection, assignment: str, count: int) -> None:
    """`count` graded submissions of the assignment, by its enrolled students, in one statement."""
    await conn.execute(
        """
        INSERT INTO gateway.submissions (id, assignment_id, student_id, language, source, status,
            verdict, score, raw_score, max_score, suite_version, created_at, updated_at)
        SELECT gen_random_uuid(), $1::uuid, e.user_id, 'python', $2, 'graded', 'accepted', 5, 5, 5, 1,
            now() - interval '1 hour', now() - interval '1 hour'
        FROM generate_series(1, $3) AS g
        JOIN LATERAL (SELECT user_id FROM gateway.enrollments
                      WHERE course_id = (SELECT course_id FROM gateway.assignments WHERE id = $1::uuid)
                        AND role = 'student'
                      ORDER BY user_id OFFSET (g % 50) LIMIT 1) AS e ON true
        """,
        uuid.UUID(assignment),
        SOURCE,
        count,
    )


async def regrade_bench(
    config: Any, admin_url: str, count: int, rate: float, seconds: float
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=config.url("gateway"), timeout=60) as client:
        assignment, tokens = await course_with_students(client, 50)
        teacher = await _teacher_of(client, admin_url, assignment)
        conn = await asyncpg.connect(admin_url)
        try:
            await _seed(conn, assignment, count)
            baseline = await _live(client, assignment, tokens, rate, seconds)
            alone = await _times(conn, baseline)
            # The tests change (a new version); the regrade of all 10,000 starts with the live load.
            tests = [
                {"stdin": f"{n}\n", "expected_stdout": f"{n * (n + 1) // 2}\n"} for n in (1, 2, 10, 100, 1000)
            ]
            r = await client.patch(f"/v1/assignments/{assignment}", json={"tests": tests}, headers=teacher)
            r.raise_for_status()
            asked_at = time.monotonic()
            r = await client.post(
                f"/v1/assignments/{assignment}/regrades", json={"scope": "all"}, headers=teacher
            )
            r.raise_for_status()
            regrade = r.json()
            during_ids = await _live(client, assignment, tokens, rate, seconds)
            during = await _times(conn, during_ids)
            progress = (await client.get(f"/v1/regrades/{regrade['id']}", headers=teacher)).json()
            window = time.monotonic() - asked_at
        finally:
            await conn.close()
    return {
        "regrade": {
            "submissions": count,
            "done_in_window": progress["done"],
            "window_seconds": round(window, 1),
            "per_second": round(progress["done"] / window, 2),
        },
        "live_rate_per_second": rate,
        "live_seconds": seconds,
        "live_alone": {
            "graded": len(alone),
            "p50_s": _percentile(alone, 0.5),
            "p95_s": _percentile(alone, 0.95),
        },
        "live_during_regrade": {
            "graded": len(during),
            "p50_s": _percentile(during, 0.5),
            "p95_s": _percentile(during, 0.95),
        },
    }


async def _teacher_of(client: httpx.AsyncClient, admin_url: str, assignment: str) -> dict[str, str]:
    """A token of the course's teacher (bench.course made them: found by their enrollment)."""
    conn = await asyncpg.connect(admin_url)
    try:
        email = await conn.fetchval(
            """SELECT u.email FROM gateway.users u JOIN gateway.enrollments e ON e.user_id = u.id
               JOIN gateway.assignments a ON a.course_id = e.course_id
               WHERE a.id = $1::uuid AND e.role = 'teacher'""",
            uuid.UUID(assignment),
        )
    finally:
        await conn.close()
    r = await client.post("/v1/auth/dev-login", json={"email": email, "name": "teacher"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def main(
    submissions: int = typer.Option(10_000),
    rate: float = typer.Option(5.0, help="live submissions a second"),
    seconds: float = typer.Option(90.0, help="of live load, without and then during the regrade"),
) -> None:
    with running_stack() as (config, admin_url, _):
        report = asyncio.run(regrade_bench(config, admin_url, submissions, rate, seconds))
    write("regrade", report)
    r, a, d = report["regrade"], report["live_alone"], report["live_during_regrade"]
    print(
        f"regrade: {r['done_in_window']} of {r['submissions']} in {r['window_seconds']} s "
        f"({r['per_second']}/s)"
    )
    print(f"live at {rate}/s, time to grade: alone p50 {a['p50_s']} s p95 {a['p95_s']} s; "
          f"during the regrade p50 {d['p50_s']} s p95 {d['p95_s']} s")  # fmt: skip


if __name__ == "__main__":
    typer.run(main)

"""Fan-out benchmark: a course of N students imported as one roster, then one course event for
them all; how long the create took, until every inbox row existed, and until the SMTP sink had
accepted every email (none twice), with the notifier's peak memory. All four services as
processes on a scratch vhost and database; the sink (aiosmtpd) in this process.

    uv run python -m bench.fanout [--sizes 10000,100000] [--email-per-second 5000]

Writes bench/results/fanout.json as {"10000": {...}, "100000": {...}}.
"""

import asyncio
import time
import uuid
from typing import Any

import asyncpg
import httpx
import typer

from bench import results
from bench.course import free_port, login
from bench.memory import Memory
from gradeflow_tools.scratch import provisioned_infra
from gradeflow_tools.smtp_sink import MailSink, start
from gradeflow_tools.stack import SERVICES, Stack

CREATES = 30  # creates measured for the latency figures (the big event is one of them)


async def _until(check: Any, timeout: float, every: float = 0.05) -> float:
    """Seconds until `check()` holds."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise TimeoutError("timed out")
        await asyncio.sleep(every)
    return time.monotonic() - started


async def _one_size(
    client: httpx.AsyncClient, db: asyncpg.Connection, sink: MailSink, n: int
) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    _, token = await login(client, f"teacher-{tag}")
    teacher = {"Authorization": f"Bearer {token}"}
    course = (await client.post("/v1/courses", json={"title": f"Fan-out {n}"}, headers=teacher)).json()["id"]
    emails = [f"s{i}.{tag}@example.com" for i in range(n)]
    roster = "name,email,role,child_email\n" + "".join(f"S {i},{e},student,\n" for i, e in enumerate(emails))
    started = time.monotonic()
    r = await client.post(
        f"/v1/courses/{course}/roster",
        content=roster.encode(),
        headers={**teacher, "Content-Type": "text/csv"},
    )
    r.raise_for_status()
    import_seconds = time.monotonic() - started
    members = "SELECT count(*) FROM notifier.memberships WHERE course_id = $1 AND role = 'student'"

    async def notifier_knows_them() -> bool:
        return int(await db.fetchval(members, uuid.UUID(course))) >= n

    roster_seconds = import_seconds + await _until(notifier_knows_them, 600)

    # The latency of creating an event, whatever its audience: the teacher-only ones first, then
    # the one for every student, whose fan-out is timed.
    latencies: list[float] = []
    for i in range(CREATES):
        body = {"title": f"Notice {i}", "body": "Details inside.", "category": "announcement"}
        body["audience"] = "students" if i == CREATES - 1 else "teachers"
        sent = time.monotonic()
        r = await client.post(f"/v1/courses/{course}/events", json=body, headers=teacher)
        latencies.append((time.monotonic() - sent) * 1000)
        r.raise_for_status()
    created, event_id = time.monotonic(), r.json()["id"]
    rows = "SELECT count(*) FROM notifier.notifications WHERE data->>'event_id' = $1"

    async def every_row() -> bool:
        return int(await db.fetchval(rows, event_id)) >= n

    async def every_email() -> bool:
        return sum(1 for e in emails if sink.per_recipient[e]) >= n

    inbox_seconds = await _until(every_row, 600, every=0.02)
    emails_seconds = inbox_seconds + await _until(every_email, 1200, every=0.1)
    await asyncio.sleep(1.0)  # a second copy of any would have arrived by now
    accepted = sum(1 for e in emails if sink.per_recipient[e] >= 1)
    twice = sum(1 for e in emails if sink.per_recipient[e] > 1)
    return {
        "members": n,
        "roster_import_seconds": round(import_seconds, 2),
        "roster_known_to_notifier_seconds": round(roster_seconds, 2),
        "create_latency_ms": {
            "p50": results.percentile(latencies, 0.5),
            "p99": results.percentile(latencies, 0.99),
            "max": round(max(latencies), 2),
        },
        "big_create_ms": round(latencies[-1], 2),
        "inbox_rows_seconds": round(inbox_seconds, 2),
        "emails_accepted": accepted,
        "emails_twice": twice,
        "emails_seconds": round(emails_seconds, 2),
        "emails_per_second": round(n / emails_seconds, 1),
        "created_to_last_email_seconds": round(time.monotonic() - created - 1.0, 2),
    }


async def _run(
    gateway: str, admin_url: str, sink: MailSink, sizes: list[int], memory: Memory
) -> dict[str, Any]:
    report: dict[str, Any] = {}
    db = await asyncpg.connect(admin_url)
    try:
        async with httpx.AsyncClient(base_url=gateway, timeout=300) as client:
            for n in sizes:
                memory.peak = dict(memory.idle)
                with memory.sampling():
                    figures = await _one_size(client, db, sink, n)
                figures["notifier_peak_rss_mb"] = round(memory.peak["notifier"], 1)
                figures["gateway_peak_rss_mb"] = round(memory.peak["gateway"], 1)
                print(n, figures, flush=True)
                report[str(n)] = figures
    finally:
        await db.close()
    return report


def main(
    sizes: str = typer.Option("10000,100000"),
    email_per_second: float = typer.Option(5000.0, help="the notifier's pace (EMAIL_PER_SECOND)"),
    email_connections: int = typer.Option(8),
) -> None:
    sink, smtp_port = MailSink(keep=False), free_port()
    controller = start(sink, smtp_port)
    extra = {
        "SMTP_PORT": str(smtp_port),
        "EMAIL_PER_SECOND": str(email_per_second),
        "EMAIL_CONNECTIONS": str(email_connections),
    }
    try:
        with provisioned_infra("gradeflow_bench") as infra:
            config = infra.stack_config(ports={s: free_port() for s in SERVICES}, extra_env=extra)
            stack = Stack(config)
            stack.start()
            time.sleep(2)
            pids = {name: p.proc.pid for name, p in stack.processes.items() if p.proc is not None}
            try:
                report = asyncio.run(
                    _run(
                        config.url("gateway"),
                        infra.admin_url,
                        sink,
                        [int(s) for s in sizes.split(",")],
                        Memory(pids),
                    )
                )
            finally:
                stack.stop()
    finally:
        controller.stop()
    report["settings"] = {"email_per_second": email_per_second, "email_connections": email_connections}
    results.write("fanout", report)


if __name__ == "__main__":
    typer.run(main)

"""Load and counting for fault tests: send submissions from concurrent clients, then count, from
every service's own tables, what was processed, lost and done twice."""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import asyncpg
import httpx

from tests.support.api import CORRECT, WRONG, Member
from tests.support.smtp import FlakySink


@dataclass
class Sent:
    sent: int = 0
    accepted: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def merge(self, other: "Sent") -> "Sent":
        return Sent(
            self.sent + other.sent,
            self.accepted + other.accepted,
            self.statuses + other.statuses,
            self.errors + other.errors,
            self.elapsed + other.elapsed,
        )


async def submit_many(
    client: httpx.AsyncClient,
    assignment_id: str,
    students: list[tuple[str, dict[str, str]]],
    total: int,
    concurrency: int = 16,
    pause: float = 0.0,
) -> Sent:
    """Send `total` submissions (two in three correct); a refused one is counted, not retried."""
    result = Sent()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker(w: int) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            _, auth = students[(i + w) % len(students)]
            body = {
                "assignment_id": assignment_id,
                "language": "python",
                "source": WRONG if i % 3 == 2 else CORRECT,
            }
            result.sent += 1
            try:
                r = await client.post("/v1/submissions", json=body, headers=auth, timeout=30)
            except httpx.HTTPError as exc:
                result.statuses[0] += 1
                result.errors.append(repr(exc))
                continue
            result.statuses[r.status_code] += 1
            if r.status_code == 202:
                result.accepted.append(r.json()["id"])
            else:
                result.errors.append(r.text[:200])
            if pause:
                await asyncio.sleep(pause)

    started = time.monotonic()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    result.elapsed = time.monotonic() - started
    return result


# Filled by the fault tests, printed at the end of the run (tests/conftest.py) for the record.
REPORT: list[str] = []


@dataclass(frozen=True)
class Tally:
    sent: int
    accepted: int
    stored: int
    processed: int
    emailed: int
    lost: int
    duplicated: int

    def record(self, name: str, extra: str = "") -> None:
        """Add this tally to the run's fault report (printed at the end of the run)."""
        REPORT.append(
            f"{name}: sent={self.sent} accepted={self.accepted} stored={self.stored} "
            f"processed={self.processed} emailed={self.emailed} lost={self.lost} "
            f"duplicated={self.duplicated} {extra}".rstrip()
        )


COUNTS = """
WITH ids AS (SELECT unnest($1::uuid[]) AS id)
SELECT
  (SELECT count(*) FROM gateway.submissions s JOIN ids USING (id)) AS stored,
  (SELECT count(*) FROM gateway.submissions s JOIN ids USING (id) WHERE s.status = 'graded') AS graded,
  (SELECT count(*) FROM grader.runs r JOIN ids ON ids.id = r.submission_id
     WHERE r.finished_at IS NOT NULL) AS runs,
  (SELECT coalesce(sum(n - 1), 0) FROM (
     SELECT count(*) AS n FROM grader.outbox o JOIN ids ON ids.id::text = o.body::jsonb->>'submission_id'
      WHERE o.routing_key = 'submission.graded' GROUP BY ids.id) g) AS graded_twice,
  (SELECT count(DISTINCT ids.id) FROM notifier.notifications nt
     JOIN ids ON ids.id::text = nt.data->>'submission_id') AS notified
"""


async def counts(admin_url: str, ids: list[str]) -> asyncpg.Record:
    conn = await asyncpg.connect(admin_url)
    try:
        row = await conn.fetchrow(COUNTS, ids)
    finally:
        await conn.close()
    assert row is not None
    return row


async def wait_all_done(admin_url: str, ids: list[str], timeout: float) -> asyncpg.Record:
    """Until every id is graded in the read model and notified, or the timeout passes."""
    deadline = asyncio.get_running_loop().time() + timeout
    row = await counts(admin_url, ids)
    while asyncio.get_running_loop().time() < deadline:
        if row["graded"] == len(ids) and row["notified"] == len(ids):
            break
        await asyncio.sleep(1)
        row = await counts(admin_url, ids)
    return row


async def emails_to(sink: FlakySink, students: list[Member], expected: int, timeout: float = 120) -> int:
    """How many emails the students were sent (a grade is one email to its student), once
    `expected` have arrived or the timeout passed — and a moment more, for any repeat to show."""
    addresses = [student.email for student in students]
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if len(sink.received(addresses)) >= expected:
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)
    return len(sink.received(addresses))


def tally(sent: Sent, row: asyncpg.Record, emailed: int) -> Tally:
    """Lost: accepted but not graded, not run, not notified or not emailed; duplicated: a grade
    published twice for one submission (the grader's outbox) or an email beyond one a grade."""
    accepted = len(sent.accepted)
    processed = min(row["graded"], row["runs"], row["notified"])
    return Tally(
        sent=sent.sent,
        accepted=accepted,
        stored=row["stored"],
        processed=processed,
        emailed=emailed,
        lost=accepted - min(processed, emailed),
        duplicated=int(row["graded_twice"]) + max(0, emailed - accepted),
    )

"""A course event for 10,000 while the notifier is SIGKILLed as it sends the emails, and restarted:
every student ends with exactly one inbox row and exactly one email in their mailbox. What the SMTP
server accepted in the dead notifier's last moment, before its record, is sent again — no sender can
know whether an accept it never read back happened — with the same Message-ID, which a mailbox
keeps once: those retransmissions are counted, bounded, and each must carry its first's id."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
import httpx
import pytest

from gradeflow_tools.scratch import Infra
from gradeflow_tools.stack import Stack
from tests.support.load import REPORT
from tests.support.smtp import FlakySink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
STUDENTS = 10_000
# What the SMTP server accepted in the dead notifier's last moment before its record (deliveries are
# recorded every 20 ms: DeliveryPolicy.record_every_seconds), with those in flight on its connections.
RETRANSMITTED_AT_MOST = 100


async def _count(db: asyncpg.Connection, query: str, *args: object) -> int:
    return int(await db.fetchval(query, *args))


async def _until(check: Callable[[], Awaitable[bool]], timeout: float, every: float = 0.02) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(every)


async def test_notifier_killed_mid_fan_out_notifies_everyone_once(
    fault_gateway: httpx.AsyncClient, fault_stack: Stack, fault_infra: Infra, fault_smtp: FlakySink
) -> None:
    tag = uuid.uuid4().hex[:8]
    r = await fault_gateway.post("/v1/auth/dev-login", json={"email": f"t.{tag}@example.com", "name": "T"})
    teacher = {"Authorization": f"Bearer {r.json()['token']}"}
    course = (await fault_gateway.post("/v1/courses", json={"title": "Big"}, headers=teacher)).json()["id"]
    emails = [f"s{i}.{tag}@example.com" for i in range(STUDENTS)]
    roster = "name,email,role,child_email\n" + "".join(f"S{i},{e},student,\n" for i, e in enumerate(emails))
    r = await fault_gateway.post(
        f"/v1/courses/{course}/roster",
        content=roster.encode(),
        headers={**teacher, "Content-Type": "text/csv"},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    db = await asyncpg.connect(fault_infra.admin_url)
    try:
        members = "SELECT count(*) FROM notifier.memberships WHERE course_id = $1"

        async def known() -> bool:
            return await _count(db, members, uuid.UUID(course)) >= STUDENTS

        await _until(known, 120, every=0.2)
        event = {"title": "Exam moved", "body": "Friday.", "category": "exam", "audience": "students"}
        r = await fault_gateway.post(f"/v1/courses/{course}/events", json=event, headers=teacher)
        assert r.status_code == 202, r.text
        rows = "SELECT count(*) FROM notifier.notifications WHERE data->>'event_id' = $1"
        event_id = r.json()["id"]

        async def sending() -> bool:
            return fault_smtp.reached(emails) >= STUDENTS // 10

        await _until(sending, 120)
        notifier = fault_stack.processes["notifier"]
        notifier.kill()  # SIGKILL: chunks in hand unacknowledged, an email batch half sent
        at_kill = await _count(db, rows, event_id)
        emails_at_kill = fault_smtp.reached(emails)
        await asyncio.sleep(1)
        notifier.start()
        notifier.wait_ready()

        async def every_row() -> bool:
            return await _count(db, rows, event_id) >= STUDENTS

        async def every_email() -> bool:
            return fault_smtp.reached(emails) >= STUDENTS

        await _until(every_row, 120, every=0.2)
        await _until(every_email, 300, every=0.5)
        per_user = await _count(
            db,
            "SELECT count(*) FROM (SELECT user_id FROM notifier.notifications WHERE data->>'event_id' = $1 "
            "GROUP BY user_id HAVING count(*) > 1) AS twice",
            event_id,
        )
    finally:
        await db.close()
    received = fault_smtp.received(emails)
    retransmitted = len(received) - len(set(received))
    in_mailbox = [len(fault_smtp.message_ids.get(e, ())) for e in emails]
    repeated = sum(n - 1 for n in in_mailbox if n > 1)
    REPORT.append(
        f"notifier SIGKILLed mid-fan-out: recipients={STUDENTS} rows_at_kill={at_kill} "
        f"emails_at_kill={emails_at_kill} inbox_rows_twice={per_user} emails={len(set(received))} "
        f"emails_repeated_in_mailboxes={repeated} smtp_retransmissions={retransmitted}"
    )
    assert emails_at_kill < STUDENTS, "the kill came while emails were being sent"
    assert per_user == 0 and len(set(received)) == STUDENTS
    assert repeated == 0 and set(in_mailbox) == {1}, "one message in every mailbox, none twice"
    # Each accepted email is recorded within a moment of its acceptance: what is sent again is what
    # the server accepted in the last moment — never the batch (DeliveryPolicy.batch, 500).
    assert retransmitted <= RETRANSMITTED_AT_MOST, retransmitted

"""PostgreSQL unreachable for 10 s under load: requests in the window fail with 503 and a clear
error, nothing is half-written, and everything accepted before and after is graded once."""

import asyncio
import functools

import asyncpg
import httpx
import pytest

from gradeflow_tools.scratch import Infra
from gradeflow_tools.stack import Stack
from tests.e2e.faults.conftest import ONE_TEST
from tests.support.api import classroom
from tests.support.load import emails_to, submit_many, tally, wait_all_done
from tests.support.smtp import FlakySink
from tests.support.tcp_proxy import TcpProxy

# Grading this load takes minutes on two cores, past the suite's default limit of 300 s.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

PHASE = 200


async def _half_written(infra: Infra, assignment_id: str) -> tuple[int, int]:
    """(submissions without their outbox event, outbox events without their submission)."""
    conn = await asyncpg.connect(infra.admin_url)
    try:
        rows = await conn.fetchrow(
            """
            WITH subs AS (SELECT id FROM gateway.submissions WHERE assignment_id = $1),
                 events AS (SELECT (body::jsonb->>'submission_id')::uuid AS id FROM gateway.outbox
                             WHERE routing_key = 'submission.created'
                               AND body::jsonb->>'assignment_id' = $1::text)
            SELECT (SELECT count(*) FROM subs WHERE id NOT IN (SELECT id FROM events)) AS no_event,
                   (SELECT count(*) FROM events WHERE id NOT IN (SELECT id FROM subs)) AS no_row
            """,
            assignment_id,
        )
    finally:
        await conn.close()
    assert rows is not None
    return rows["no_event"], rows["no_row"]


async def test_database_outage_refuses_cleanly_and_loses_nothing(
    fault_gateway: httpx.AsyncClient,
    fault_stack: Stack,
    fault_infra: Infra,
    pg_proxy: TcpProxy,
    fault_smtp: FlakySink,
) -> None:
    room = await classroom(fault_gateway, students=8, tests=ONE_TEST)
    submit = functools.partial(submit_many, fault_gateway, room.assignment_id, room.students)

    before = await submit(PHASE)
    with pg_proxy.outage():
        ready = await fault_gateway.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("failed")
        # Requests arrive throughout the 10 s window: each is refused, none waits forever.
        during = await submit(PHASE // 4, concurrency=2, pause=0.4)
        await asyncio.sleep(max(0.0, 10 - during.elapsed))
    after = await submit(PHASE)

    assert before.statuses == {202: PHASE} and after.statuses == {202: PHASE}, (before, after)
    assert during.statuses == {503: PHASE // 4}, during.statuses
    assert all('"error":"unavailable"' in e for e in during.errors), during.errors[:3]
    assert await _half_written(fault_infra, room.assignment_id) == (0, 0)

    sent = before.merge(during).merge(after)
    row = await wait_all_done(fault_infra.admin_url, sent.accepted, timeout=600)
    result = tally(sent, row, await emails_to(fault_smtp, room.students, len(sent.accepted)))
    result.record("PostgreSQL unreachable 10 s", f"refused_503={during.statuses[503]}")
    assert result.stored == result.accepted == 2 * PHASE, "every 202 was stored, no 503 was"
    assert (result.lost, result.duplicated) == (0, 0)

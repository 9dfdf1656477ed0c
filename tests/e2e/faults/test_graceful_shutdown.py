"""SIGTERM on a busy grader: it stops taking work, finishes what is in flight, flushes its outbox and
exits 0; what it had not started waits in the queue and is graded once after a restart."""

import asyncio

import asyncpg
import httpx
import pytest

from gradeflow_tools.scratch import Infra
from gradeflow_tools.stack import Stack
from tests.support.api import classroom
from tests.support.load import wait_all_done

pytestmark = pytest.mark.e2e
SLOW = "import time\ntime.sleep(1.5)\nprint(55)\n"
TEST = [{"stdin": "", "expected_stdout": "55\n", "weight": 1, "hidden": False}]


async def _grader_state(infra: Infra) -> tuple[int, int, int]:
    """(runs started, runs unfinished, grader outbox rows unpublished)."""
    conn = await asyncpg.connect(infra.admin_url)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM grader.runs) AS started,"
            " (SELECT count(*) FROM grader.runs WHERE finished_at IS NULL) AS unfinished,"
            " (SELECT count(*) FROM grader.outbox WHERE published_at IS NULL) AS unpublished"
        )
    finally:
        await conn.close()
    assert row is not None
    return row["started"], row["unfinished"], row["unpublished"]


async def test_sigterm_finishes_in_flight_work_flushes_and_exits_zero(
    fault_gateway: httpx.AsyncClient, fault_stack: Stack, fault_infra: Infra
) -> None:
    room = await classroom(fault_gateway, students=1, tests=TEST)
    _, auth = room.students[0]
    ids = []
    for _ in range(8):
        body = {"assignment_id": room.assignment_id, "language": "python", "source": SLOW}
        response = await fault_gateway.post("/v1/submissions", json=body, headers=auth)
        ids.append(response.json()["id"])

    started_before = (await _grader_state(fault_infra))[0]
    for _ in range(100):
        state = await _grader_state(fault_infra)
        if state[1] > 0:
            break
        await asyncio.sleep(0.1)
    assert state[1] > 0, "the grader is mid-run when SIGTERM arrives"

    grader = fault_stack.processes["grader"]
    try:
        code = await asyncio.to_thread(grader.stop)
        started, unfinished, unpublished = await _grader_state(fault_infra)
    finally:  # started again whatever happens: the rest of the package needs a grader
        grader.start()
        grader.wait_ready()
    assert code == 0
    assert unfinished == 0, "in-flight runs were finished, not abandoned"
    assert unpublished == 0, "the outbox was flushed before exit"
    assert started - started_before < len(ids), "work not yet started was left in the queue"
    row = await wait_all_done(fault_infra.admin_url, ids, timeout=120)
    assert row["runs"] == row["graded"] == len(ids)

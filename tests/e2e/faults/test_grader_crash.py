"""600 submissions while the grader is SIGKILLed twice mid-run (at a fifth and at half of them
graded): every one graded, its grade published and emailed exactly once."""

import asyncio

import httpx
import pytest

from gradeflow_tools.scratch import Infra
from gradeflow_tools.stack import Stack
from tests.e2e.faults.conftest import ONE_TEST
from tests.support.api import classroom
from tests.support.load import counts, emails_to, submit_many, tally, wait_all_done
from tests.support.smtp import FlakySink

# Grading this load takes minutes on two cores, past the suite's default limit of 300 s.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
LOAD = 600  # two kills land mid-run at any size; 600 is about a minute of grading on two cores


async def _wait_graded_at_least(infra: Infra, ids: list[str], n: int) -> None:
    for _ in range(600):
        if (await counts(infra.admin_url, ids))["runs"] >= n:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"fewer than {n} graded")


async def test_grader_killed_twice_mid_run_loses_and_repeats_nothing(
    fault_gateway: httpx.AsyncClient, fault_stack: Stack, fault_infra: Infra, fault_smtp: FlakySink
) -> None:
    room = await classroom(fault_gateway, students=8, tests=ONE_TEST)
    sent = await submit_many(fault_gateway, room.assignment_id, room.students, LOAD)
    assert len(sent.accepted) == LOAD, sent.statuses

    grader = fault_stack.processes["grader"]
    for threshold in (LOAD // 5, LOAD // 2):
        await _wait_graded_at_least(fault_infra, sent.accepted, threshold)
        grader.kill()  # SIGKILL: in-flight submissions are left unacknowledged
        try:
            await asyncio.sleep(1)
        finally:  # started again whatever happens: the rest of the package needs a grader
            grader.start()
            grader.wait_ready()

    row = await wait_all_done(fault_infra.admin_url, sent.accepted, timeout=900)
    result = tally(sent, row, await emails_to(fault_smtp, room.students, LOAD))
    result.record("grader SIGKILLed twice")
    assert (result.lost, result.duplicated) == (0, 0)
    assert result.processed == result.accepted == LOAD

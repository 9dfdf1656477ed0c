"""RabbitMQ restarted while 1,000 submissions arrive: the gateway keeps answering 202 (the outbox
holds them), and after the broker is back every one is graded, published and emailed once."""

import asyncio

import httpx
import pytest

from gradeflow_tools.scratch import Infra, rabbitmqctl
from gradeflow_tools.stack import Stack
from tests.e2e.faults.conftest import LOAD, ONE_TEST
from tests.support.api import classroom
from tests.support.load import emails_to, submit_many, tally, wait_all_done
from tests.support.smtp import FlakySink

# Grading this load takes minutes on two cores, past the suite's default limit of 300 s.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


async def _ready(client: httpx.AsyncClient) -> int:
    return (await client.get("/health/ready")).status_code


async def test_broker_restart_under_load_loses_and_repeats_nothing(
    fault_gateway: httpx.AsyncClient, fault_stack: Stack, fault_infra: Infra, fault_smtp: FlakySink
) -> None:
    room = await classroom(fault_gateway, students=8, tests=ONE_TEST)
    # Paced to last about 20 s: stopping the broker takes seconds of its own (5 s idle, with the
    # management plugin), and the restart must happen while submissions arrive.
    load = asyncio.create_task(submit_many(fault_gateway, room.assignment_id, room.students, LOAD, pause=0.3))
    await asyncio.sleep(3)  # a part of the load is in, the rest arrives during the restart
    try:
        await asyncio.to_thread(rabbitmqctl, "stop_app")
        assert not load.done(), "the restart happens while submissions arrive"
        await asyncio.sleep(2)
        assert await _ready(fault_gateway) == 503, "readiness turns false while the broker is down"
        await asyncio.sleep(3)
    finally:  # the broker comes back whatever the assertions said: the rest of the suite needs it
        await asyncio.to_thread(rabbitmqctl, "start_app")
        await asyncio.to_thread(rabbitmqctl, "await_startup")
    for _ in range(100):
        if await _ready(fault_gateway) == 200:
            break
        await asyncio.sleep(0.2)
    assert await _ready(fault_gateway) == 200, "readiness comes back with the broker"
    sent = await load

    assert sent.statuses[202] == LOAD, f"refused while the broker was down: {sent.statuses}"
    row = await wait_all_done(fault_infra.admin_url, sent.accepted, timeout=900)
    result = tally(sent, row, await emails_to(fault_smtp, room.students, LOAD))
    result.record("RabbitMQ restarted")
    assert (result.lost, result.duplicated) == (0, 0)
    assert result.processed == LOAD

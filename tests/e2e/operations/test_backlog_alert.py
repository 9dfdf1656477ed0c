"""The backlog alert, end to end with the default thresholds: the grader stopped and 100
submissions sent, the alert is raised within 30 s, listed by `GET /v1/alerts` and mailed to the
operator by the notifier; the grader started again, the backlog drains and the alert resolves —
once, with one mail saying so."""

import asyncio
import time

import httpx
import pytest

from gradeflow_tools.stack import Stack
from tests.e2e.operations.conftest import OPERATOR
from tests.support.api import classroom
from tests.support.load import submit_many
from tests.support.smtp import FlakySink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]
QUEUE = "grader.submissions"


def _mails(sink: FlakySink, words: str) -> list[str]:
    return [
        m["Subject"]
        for m in sink.messages
        if m["To"] == OPERATOR and words in m["Subject"] and QUEUE in m["Subject"]
    ]


async def _backlog_alerts(metrics: httpx.AsyncClient) -> list[dict[str, object]]:
    found = (await metrics.get("/v1/alerts", params={"limit": 1000})).json()["alerts"]
    return [a for a in found if a["queue"] == QUEUE and a["rule"] == "backlog"]


async def test_a_backlog_alert_is_raised_mailed_and_resolved_once(
    ops_gateway: httpx.AsyncClient, ops_metrics: httpx.AsyncClient, ops_stack: Stack, ops_smtp: FlakySink
) -> None:
    assert await _backlog_alerts(ops_metrics) == []
    room = await classroom(ops_gateway, students=10)
    grader = ops_stack.processes["grader"]
    grader.stop()
    try:
        sent = await submit_many(ops_gateway, room.assignment_id, room.students, 100)
        assert len(sent.accepted) == 100, sent.statuses
        started = time.monotonic()
        while not [a for a in await _backlog_alerts(ops_metrics) if a["state"] == "raised"]:
            assert time.monotonic() - started < 30, "no backlog alert within 30 s"
            await asyncio.sleep(0.5)
        raised_after = time.monotonic() - started
        print(f"backlog alert raised {raised_after:.1f} s after the 100th submission")
        while not _mails(ops_smtp, "backlog alert raised"):
            assert time.monotonic() - started < 60, "the operator was not mailed"
            await asyncio.sleep(0.2)
    finally:
        grader.start()
        grader.wait_ready()

    deadline = time.monotonic() + 180
    while not [a for a in await _backlog_alerts(ops_metrics) if a["state"] == "resolved"]:
        assert time.monotonic() < deadline, "the alert did not resolve"
        await asyncio.sleep(0.5)
    while not _mails(ops_smtp, "backlog alert resolved"):
        assert time.monotonic() < deadline, "the operator was not told it resolved"
        await asyncio.sleep(0.2)
    await asyncio.sleep(12)  # more passes of the monitor: nothing raised or resolved again
    alerts = await _backlog_alerts(ops_metrics)
    assert [a["state"] for a in alerts] == ["resolved"], alerts
    assert (
        len(_mails(ops_smtp, "backlog alert raised")) == 1
        and len(_mails(ops_smtp, "backlog alert resolved")) == 1
    )

"""Back-pressure through the HTTP API and the real broker: once the grading queue holds as many
waiting submissions as the bound allows (no grader here to take them), new ones are refused 503
with Retry-After at once, and every submission accepted before is still stored and queued."""

import asyncio

import aio_pika
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from gradeflow_shared.broker import declare_topology
from gradeflow_shared.topology import DEFAULT_RETRY_DELAYS_MS, GRADER_SUBMISSIONS
from tests.support.api import classroom
from tests.support.apps import serving
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


async def _depth(amqp_url: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(GRADER_SUBMISSIONS.queue, passive=True)
        return int(queue.declaration_result.message_count or 0)
    finally:
        await connection.close()


async def test_a_full_backlog_refuses_new_submissions_and_keeps_the_accepted(infra: Infra) -> None:
    await declare_topology(infra.amqp_url, DEFAULT_RETRY_DELAYS_MS)
    before = await _depth(infra.amqp_url)
    settings = GatewaySettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("gateway"),
        environment="test",
        auth_secret=infra.secret,
        max_grading_backlog=before + 5,
    )
    async with serving(create_app(settings)) as client:
        room = await classroom(client)
        _, auth = room.students[0]
        body = {"assignment_id": room.assignment_id, "language": "python", "source": "print(1)"}
        accepted = [await client.post("/v1/submissions", json=body, headers=auth) for _ in range(5)]
        assert [r.status_code for r in accepted] == [202] * 5
        for _ in range(50):  # the outbox publishes them; the gauge looks once a second
            await asyncio.sleep(0.1)
            refused = await client.post("/v1/submissions", json=body, headers=auth)
            if refused.status_code == 503:
                break
            accepted.append(refused)
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "1" and refused.json()["error"] == "overloaded"
        assert all(r.status_code == 202 for r in accepted)
        views = [await client.get(f"/v1/submissions/{r.json()['id']}", headers=auth) for r in accepted]
        assert [v.status_code for v in views] == [200] * len(accepted)
    assert await _depth(infra.amqp_url) >= before + len(accepted), "every accepted one is queued"

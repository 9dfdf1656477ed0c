"""Judge0 callbacks through the HTTP API, PostgreSQL, RabbitMQ and a real HTTP receiver on
127.0.0.1: once the run is done its result is PUT to the submission's callback_url — a receiver
answering 500 twice then 200 gets three calls and the result is delivered once (recorded sent,
never again); a private-range target is refused when the submission is made, naming the field."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import RunCompleted
from tests.support.api import login
from tests.support.apps import serving
from tests.support.http_receiver import Receiver, receiver
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
__all__ = ["receiver"]  # the fixture


@pytest.fixture
async def door(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("gateway"),
        environment="test",
        auth_secret=infra.secret,
        callback_allow=("127.0.0.1",),  # the receiver; every other private target stays refused
    )
    async with serving(create_app(settings)) as client:
        yield client


async def _state(infra: Infra, run_id: str) -> asyncpg.Record:
    conn = await asyncpg.connect(infra.admin_url)
    try:
        return await conn.fetchrow(
            "SELECT state, attempts FROM gateway.callbacks WHERE run_id = $1", uuid.UUID(run_id)
        )
    finally:
        await conn.close()


async def test_a_failing_receiver_gets_the_result_once_it_answers(
    door: httpx.AsyncClient,
    receiver: Receiver,
    infra: Infra,
) -> None:
    user_id, auth = await login(door, "judge0")
    receiver.script = [500, 500]
    body = {"source_code": "print(42)", "language_id": 71, "callback_url": receiver.url}
    r = await door.post("/judge0/submissions", json=body, headers=auth)
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    await asyncio.sleep(0.5)
    assert receiver.calls == [], "nothing before the run is done"
    done = RunCompleted(
        run_id=uuid.UUID(token),
        user_id=uuid.UUID(user_id),
        verdict="accepted",
        stdout="42\n",
        completed_at=datetime.now(UTC),
    )
    publisher = Publisher(infra.amqp_url)
    try:
        await publisher.publish(
            message_for(done.model_dump_json().encode(), Envelope.for_event(done)), done.type
        )
    finally:
        await publisher.close()
    for _ in range(200):  # backoff 1 s, then 2 s
        if len(receiver.calls) >= 3 and (await _state(infra, token))["state"] == "sent":
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.5)  # and nothing after it was delivered
    assert [c.method for c in receiver.calls] == ["PUT", "PUT", "PUT"]
    delivered = json.loads(receiver.calls[-1].body)
    assert delivered["token"] == token and delivered["stdout"] == "42\n" and delivered["status"]["id"] == 3
    assert tuple(await _state(infra, token)) == ("sent", 3)


@pytest.mark.parametrize("url", ["http://10.0.0.5/cb", "http://169.254.169.254/latest", "http://[::1]:9/x"])
async def test_a_private_callback_target_is_refused_naming_the_field(
    door: httpx.AsyncClient, url: str
) -> None:
    _, auth = await login(door, "judge0")
    body = {"source_code": "print(1)", "language_id": 71, "callback_url": url}
    r = await door.post("/judge0/submissions", json=body, headers=auth)
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "body.callback_url", r.text
    batch = await door.post("/judge0/submissions/batch", json={"submissions": [body]}, headers=auth)
    assert batch.status_code == 422 and batch.json()["fields"][0]["field"] == "submissions.0.callback_url"

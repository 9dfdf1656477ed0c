"""Webhooks through a real HTTP receiver on 127.0.0.1 and the real broker and database: every
call carries a Standard Webhooks signature the `standardwebhooks` verifier accepts; a receiver
answering 500 twice then 200 gets one successful delivery (the same webhook-id each time); a
private target is refused with a clear error, at registration and before a call."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from gradeflow_shared.auth import Tokens
from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.envelope import Envelope
from notifier.app import create_app
from notifier.settings import NotifierSettings
from tests.notifier.events import course_event
from tests.support.apps import serving
from tests.support.http_receiver import Receiver, receiver
from tests.support.infra import Infra

__all__ = ["receiver"]
pytestmark = pytest.mark.integration


@pytest.fixture
async def notifier(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    settings = NotifierSettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("notifier"),
        environment="test",
        auth_secret=infra.secret,
        email_enabled=False,
        webhook_allow=("127.0.0.1",),
        webhook_retry_delays_seconds=(0.2, 0.4, 0.8),
    )
    async with serving(create_app(settings)) as client:
        yield client


async def _member(db: asyncpg.Connection, course: uuid.UUID) -> uuid.UUID:
    user = uuid.uuid4()
    await db.execute(
        "INSERT INTO notifier.recipients (user_id, email, name) VALUES ($1, $2, 'x')",
        user,
        f"{user}@example.com",
    )
    await db.execute(
        "INSERT INTO notifier.memberships (course_id, user_id, role) VALUES ($1, $2, 'student')", course, user
    )
    return user


async def test_a_receiver_failing_twice_gets_one_signed_delivery(
    notifier: httpx.AsyncClient, infra: Infra, db: asyncpg.Connection, receiver: Receiver
) -> None:
    course = uuid.uuid4()
    user, _other = await _member(db, course), await _member(db, course)
    auth = {"Authorization": f"Bearer {Tokens(infra.secret).issue(user)}"}
    r = await notifier.post("/v1/webhooks", json={"url": receiver.url}, headers=auth)
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    receiver.script = [500, 500]
    event = course_event(course, "students")
    publisher = Publisher(infra.amqp_url)
    try:
        await publisher.publish(
            message_for(event.model_dump_json().encode(), Envelope.for_event(event)), event.type
        )
    finally:
        await publisher.close()
    deadline = asyncio.get_running_loop().time() + 30
    state = None
    while state != "sent":
        assert asyncio.get_running_loop().time() < deadline, f"state {state}"
        await asyncio.sleep(0.1)
        state = await db.fetchval(
            "SELECT d.state FROM notifier.deliveries d JOIN notifier.notifications n ON n.id = d.notification_id "
            "WHERE d.channel = 'webhook' AND n.data->>'event_id' = $1",
            str(event.event_id),
        )
    await asyncio.sleep(1.0)  # a further call would have come by now
    assert len(receiver.calls) == 3, "two 500s, then the one that succeeded; none after"
    assert len({c.headers["webhook-id"] for c in receiver.calls}) == 1
    for call in receiver.calls:
        payload = Webhook(secret).verify(call.body, call.headers)  # raises on a bad signature
        assert payload["data"]["user_id"] == str(user) and payload["data"]["title"] == "Exam moved"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(receiver.calls[0].body + b" ", receiver.calls[0].headers)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest",
        "http://[::1]:8080/x",
        "ftp://example.com/x",
        "https://a]b/x",  # not a URL at all (found by schemathesis: it was a 500)
        "http://example.com:99999/x",
    ],
)
async def test_a_private_target_is_refused_at_registration(
    notifier: httpx.AsyncClient, infra: Infra, db: asyncpg.Connection, url: str
) -> None:
    user = await _member(db, uuid.uuid4())
    auth = {"Authorization": f"Bearer {Tokens(infra.secret).issue(user)}"}
    r = await notifier.post("/v1/webhooks", json={"url": url}, headers=auth)
    assert r.status_code == 422, r.text
    assert r.json()["fields"][0]["field"] == "url"
    assert await db.fetchval("SELECT count(*) FROM notifier.webhooks WHERE user_id = $1", user) == 0


async def test_webhooks_are_capped_listed_and_deleted_by_their_owner_only(
    notifier: httpx.AsyncClient, infra: Infra, db: asyncpg.Connection
) -> None:
    owner, other = await _member(db, uuid.uuid4()), await _member(db, uuid.uuid4())
    auth = {"Authorization": f"Bearer {Tokens(infra.secret).issue(owner)}"}
    theirs = {"Authorization": f"Bearer {Tokens(infra.secret).issue(other)}"}
    made = [
        await notifier.post("/v1/webhooks", json={"url": f"http://127.0.0.1:9/{i}"}, headers=auth)
        for i in range(11)
    ]
    assert [r.status_code for r in made] == [201] * 10 + [422], made[-1].text
    assert "at most 10" in made[-1].json()["message"]
    first = made[0].json()["id"]
    assert (await notifier.delete(f"/v1/webhooks/{first}", headers=theirs)).status_code == 404, "not theirs"
    assert (await notifier.delete(f"/v1/webhooks/{first}", headers=auth)).status_code == 204
    listed = (await notifier.get("/v1/webhooks", headers=auth)).json()
    assert len(listed) == 9 and first not in {w["id"] for w in listed}
    again = await notifier.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/again"}, headers=auth)
    assert again.status_code == 201, "room again after a delete"

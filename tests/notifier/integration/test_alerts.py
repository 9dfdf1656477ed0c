"""Alerts reach the operators through the real broker, database, SMTP server and an HTTP
receiver on 127.0.0.1: an alert raised and then resolved is one email per operator address and
one signed webhook call per URL for each, delivered again to no one when redelivered; an
operator's webhook gets no email."""

import asyncio
import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import AlertChanged, AlertRaised, AlertResolved
from notifier.app import create_app
from notifier.settings import NotifierSettings
from tests.support.apps import serving
from tests.support.http_receiver import Received, Receiver, receiver
from tests.support.infra import Infra
from tests.support.smtp import FlakySink

__all__ = ["receiver"]
pytestmark = pytest.mark.integration
SECRET = "whsec_" + base64.b64encode(b"operators-webhook-secret-0123456").decode()


async def test_a_raised_and_resolved_alert_reach_every_operator_once(
    infra: Infra, smtp: tuple[FlakySink, int], receiver: Receiver
) -> None:
    sink, port = smtp
    tag = uuid.uuid4().hex[:8]
    operators = [f"ops.{tag}@example.com", f"oncall.{tag}@example.com"]
    settings = NotifierSettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("notifier"),
        environment="test",
        auth_secret=infra.secret,
        smtp_port=port,
        webhook_allow=("127.0.0.1",),
        alert_emails=tuple(operators),
        alert_webhooks=(receiver.url,),
        alert_webhook_secret=SECRET,
    )
    alert = uuid.uuid4()
    # A queue of this test's own: other tests' monitors announce alerts on the same vhost, which
    # this notifier tells the same operators about too.
    queue = f"test.alerts-{tag}"
    fields = {
        "alert_id": alert,
        "queue": queue,
        "rule": "backlog",
        "severity": "critical",
        "value": 100.0,
        "threshold": 50.0,
        "message": f"{queue}: 100 messages waiting (threshold 50)",
        "raised_at": datetime.now(UTC),
    }
    events: list[AlertChanged] = [
        AlertRaised(state="raised", **fields),
        AlertResolved(state="resolved", resolved_at=datetime.now(UTC), **fields),
    ]
    async with serving(create_app(settings)):
        publisher = Publisher(infra.amqp_url)
        await publisher.connect()
        for event in events:
            envelope = Envelope.for_event(event)
            for _ in range(2):  # the second a redelivery (same message id): a no-op
                await publisher.publish(message_for(event.model_dump_json().encode(), envelope), event.type)
        await publisher.close()

        def mails() -> list[str]:
            return sorted(m["To"] for m in sink.messages if m["To"] in operators and queue in m["Subject"])

        def calls() -> list[Received]:
            return [c for c in receiver.calls if queue.encode() in c.body]

        deadline = asyncio.get_running_loop().time() + 30
        while len(mails()) < 4 or len(calls()) < 2:
            assert asyncio.get_running_loop().time() < deadline, (mails(), calls())
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # nothing more comes
    assert mails() == sorted(operators * 2), "raised and resolved, once each"
    subjects = sorted(m["Subject"] for m in sink.messages if m["To"] in operators and queue in m["Subject"])
    assert any("backlog alert raised" in s for s in subjects) and any("alert resolved" in s for s in subjects)
    assert sink.per_recipient["operators@invalid"] == 0, "a webhook operator gets no email"
    verifier = Webhook(SECRET)
    states = []
    for call in calls():
        payload = verifier.verify(call.body, call.headers)
        assert payload["data"]["kind"] in ("alert.raised", "alert.resolved")
        states.append((payload["data"]["data"]["alert_id"], payload["data"]["data"]["state"]))
    assert sorted(states) == [(str(alert), "raised"), (str(alert), "resolved")]
    assert json.loads(calls()[0].body)["data"]["title"].startswith(f"[critical] {queue}")

"""Email through a real SMTP server (aiosmtpd on 127.0.0.1) and the real broker and database: a
course event reaches every student's mailbox once, none to one who opted out; a server answering
451 for a while loses nothing and sends nothing twice; a 550 is recorded as failed, with the
server's words."""

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
import pytest

from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.runtime import Runtime
from notifier.adapters.db.due import DueDeliveries
from notifier.adapters.db.tables import SCHEMA, inbox, outbox
from notifier.adapters.mail import render
from notifier.app import create_app, sql_repos
from notifier.domain.delivery import Mail, SendResult
from notifier.settings import NotifierSettings
from notifier.usecases.deliveries import DeliveryPolicy, Dispatcher, one_each
from tests.notifier.events import course_event
from tests.support.apps import serving
from tests.support.infra import Infra
from tests.support.smtp import FlakySink

pytestmark = pytest.mark.integration
STUDENTS = 120


async def _course(db: asyncpg.Connection, opted_out: int = 0) -> tuple[uuid.UUID, list[str]]:
    course, people = uuid.uuid4(), [uuid.uuid4() for _ in range(STUDENTS)]
    tag = course.hex[:8]
    emails = [f"s{i}.{tag}@example.com" for i in range(STUDENTS)]
    await db.executemany(
        "INSERT INTO notifier.recipients (user_id, email, name) VALUES ($1, $2, 'x')",
        list(zip(people, emails, strict=True)),
    )
    await db.executemany(
        "INSERT INTO notifier.memberships (course_id, user_id, role) VALUES ($1, $2, 'student')",
        [(course, u) for u in people],
    )
    await db.executemany(
        "INSERT INTO notifier.preferences (user_id, channel, category, enabled) VALUES ($1, 'email', 'exam', false)",
        [(u,) for u in people[:opted_out]],
    )
    return course, emails


async def _run_event(
    infra: Infra, port: int, course: uuid.UUID, until: Callable[[], Awaitable[bool]]
) -> uuid.UUID:
    """Run a notifier, publish a course event for `course`'s students, wait `until` it holds; the
    notifier stops (its last batch recorded) before this returns."""
    settings = NotifierSettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("notifier"),
        environment="test",
        auth_secret=infra.secret,
        smtp_port=port,
        email_connections=4,
        email_retry_delays_seconds=(0.2, 0.5, 1.0, 2.0, 4.0),
    )
    event = course_event(course, "students")
    async with serving(create_app(settings)):
        publisher = Publisher(infra.amqp_url)
        try:
            body = event.model_dump_json().encode()
            await publisher.publish(message_for(body, Envelope.for_event(event)), event.type)
        finally:
            await publisher.close()
        deadline = asyncio.get_running_loop().time() + 60
        while not await until():
            assert asyncio.get_running_loop().time() < deadline, "timed out"
            await asyncio.sleep(0.1)
    return event.event_id


async def _states(db: asyncpg.Connection, event_id: uuid.UUID) -> Counter[str]:
    rows = await db.fetch(
        "SELECT d.state FROM notifier.deliveries d JOIN notifier.notifications n ON n.id = d.notification_id "
        "WHERE n.data->>'event_id' = $1",
        str(event_id),
    )
    return Counter(r["state"] for r in rows)


async def test_every_student_gets_one_email_and_the_opted_out_none(
    infra: Infra, db: asyncpg.Connection, smtp: tuple[FlakySink, int]
) -> None:
    server, port = smtp
    course, emails = await _course(db, opted_out=3)

    async def all_sent() -> bool:
        return len(server.received(emails)) >= STUDENTS - 3

    event_id = await _run_event(infra, port, course, all_sent)
    assert server.received(emails) == sorted(emails[3:]), "each once, none to the three who opted out"
    mine = [m for m in server.messages if m["To"] in set(emails)]
    assert len({m["Message-ID"] for m in mine}) == STUDENTS - 3
    # What the sink counts a mailbox by: the header it reads is the message's own Message-ID.
    assert {m["Message-ID"].encode() for m in mine} == set().union(
        *(server.message_ids[e] for e in emails[3:])
    )
    assert mine[0]["Subject"] == "Exam moved" and mine[0].is_multipart()
    assert [p.get_content_type() for p in mine[0].get_payload()] == ["text/plain", "text/html"]
    assert await _states(db, event_id) == Counter({"sent": STUDENTS - 3})


@pytest.mark.parametrize("smtp", [{"busy": 150}], indirect=True)
async def test_a_server_refusing_with_451_for_a_while_loses_nothing(
    infra: Infra, db: asyncpg.Connection, smtp: tuple[FlakySink, int]
) -> None:
    server, port = smtp
    course, emails = await _course(db)

    async def all_sent() -> bool:
        return len(server.received(emails)) >= STUDENTS

    event_id = await _run_event(infra, port, course, all_sent)
    assert server.refused == 150, "the server did refuse for a while"
    assert server.received(emails) == sorted(emails), "every one, none twice"
    assert await _states(db, event_id) == Counter({"sent": STUDENTS})


async def test_a_550_is_recorded_as_failed_with_the_servers_words(
    infra: Infra, db: asyncpg.Connection, smtp: tuple[FlakySink, int]
) -> None:
    server, port = smtp
    course, emails = await _course(db)
    server.unknown = emails[0]

    async def all_but_one_sent() -> bool:
        return len(server.received(emails)) >= STUDENTS - 1

    event_id = await _run_event(infra, port, course, all_but_one_sent)
    assert await _states(db, event_id) == Counter({"sent": STUDENTS - 1, "failed": 1})
    error = await db.fetchval(
        "SELECT last_error FROM notifier.deliveries WHERE address = $1 AND state = 'failed'", emails[0]
    )
    assert error.startswith("550") and "no such mailbox" in error


class _Recording:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(
        self, mails: Sequence[Mail], on_sent: Callable[[int], None] | None = None
    ) -> list[SendResult]:
        self.sent.extend(m.to for m in mails)
        return [SendResult("sent") for _ in mails]


async def test_an_idle_dispatcher_is_woken_by_the_commit_that_stages_an_email(
    infra: Infra, db: asyncpg.Connection
) -> None:
    """The staging statement's NOTIFY (sent at commit) wakes the email dispatcher, which otherwise
    looks only every `idle_seconds` — a minute here, so only the notice can explain a prompt send."""
    settings = NotifierSettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("notifier"),
        environment="test",
        auth_secret=infra.secret,
    )
    runtime = Runtime.build(settings, SCHEMA, outbox, inbox)
    units = runtime.units_of_work(lambda session: sql_repos(session, settings.digest_window_seconds))
    sender = _Recording()
    dispatcher = Dispatcher("email", units, sender, one_each(render), DeliveryPolicy(idle_seconds=60))
    due = DueDeliveries(settings.database_url, {"email": dispatcher.wake})
    tasks = [asyncio.create_task(dispatcher.run()), asyncio.create_task(due.run())]
    user, address = uuid.uuid4(), f"woken.{uuid.uuid4().hex[:8]}@example.com"
    await db.execute(
        "INSERT INTO notifier.recipients (user_id, email, name) VALUES ($1, $2, 'x')", user, address
    )
    try:
        await asyncio.sleep(1.5)  # listening, its first looks done: the dispatcher idles
        assert address not in sender.sent
        message = {
            "kind": "test",
            "title": "Hi",
            "body": "b",
            "data": {},
            "category": "grade",
            "priority": "normal",
        }
        async with units() as uow:
            await uow.repos.inbox.add_notifications([(uuid.uuid4(), user)], message)
            await uow.commit()
        deadline = asyncio.get_running_loop().time() + 15
        while address not in sender.sent:
            assert asyncio.get_running_loop().time() < deadline, "not sent: the commit's notice woke nothing"
            await asyncio.sleep(0.05)
    finally:
        dispatcher.stop()
        due.stop()
        await asyncio.gather(*tasks)
        await runtime.engine.dispose()
    assert sender.sent.count(address) == 1

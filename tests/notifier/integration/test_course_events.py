"""A course event through the real broker and database: the notifier slices its audience into
chunks (published by its outbox, consumed from its own queue) and writes every member's inbox row
and email once; the event redelivered, or a chunk published twice, adds none."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import EnrollmentsChanged, Member
from notifier.app import create_app
from notifier.settings import NotifierSettings
from tests.notifier.events import course_event
from tests.support.apps import serving
from tests.support.infra import Infra
from tests.support.smtp import FlakySink

pytestmark = pytest.mark.integration
STUDENTS, PARENTS, CHUNK = 2000, 40, 400


@pytest.fixture
async def notifier(infra: Infra, smtp: tuple[FlakySink, int]) -> AsyncIterator[FlakySink]:
    settings = NotifierSettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("notifier"),
        environment="test",
        auth_secret=infra.secret,
        fanout_chunk_size=CHUNK,
        smtp_port=smtp[1],
    )
    async with serving(create_app(settings)):
        yield smtp[0]


async def _course(db: asyncpg.Connection) -> tuple[uuid.UUID, list[str]]:
    """A course's members as the notifier keeps them (enrollment events would write the same), and
    its students' addresses."""
    course = uuid.uuid4()
    people = [(uuid.uuid4(), "student") for _ in range(STUDENTS)] + [
        (uuid.uuid4(), "parent") for _ in range(PARENTS)
    ]
    await db.executemany(
        "INSERT INTO notifier.recipients (user_id, email, name) VALUES ($1, $2, 'x')",
        [(u, f"{u}@example.com") for u, _ in people],
    )
    await db.executemany(
        "INSERT INTO notifier.memberships (course_id, user_id, role) VALUES ($1, $2, $3)",
        [(course, u, role) for u, role in people],
    )
    return course, [f"{u}@example.com" for u, role in people if role == "student"]


async def _publish(publisher: Publisher, body: bytes, envelope: Envelope, routing_key: str) -> None:
    await publisher.publish(message_for(body, envelope), routing_key)


async def _until(db: asyncpg.Connection, query: str, *args: object, expect: int, timeout: float = 30) -> int:
    deadline = asyncio.get_running_loop().time() + timeout
    while (n := await db.fetchval(query, *args)) != expect:
        assert asyncio.get_running_loop().time() < deadline, f"{n} of {expect}"
        await asyncio.sleep(0.1)
    return int(n)


async def test_every_member_of_the_audience_gets_one_inbox_row_and_one_email(
    notifier: FlakySink, infra: Infra, db: asyncpg.Connection
) -> None:
    course, emails = await _course(db)
    event = course_event(course, "students")
    envelope = Envelope.for_event(event)
    rows = "SELECT count(*) FROM notifier.notifications WHERE data->>'event_id' = $1"
    publisher = Publisher(infra.amqp_url)
    try:
        await _publish(publisher, event.model_dump_json().encode(), envelope, event.type)
        await _until(db, rows, str(event.event_id), expect=STUDENTS)
        chunks = await db.fetch(
            "SELECT id, body FROM notifier.outbox WHERE routing_key = 'notification.chunk' "
            "AND correlation_id = $1 ORDER BY id",
            envelope.correlation_id,
        )
        assert len(chunks) == -(-STUDENTS // CHUNK), "the audience in chunks of CHUNK"

        # The event redelivered (same message id) and one chunk published again (a new id).
        await _publish(publisher, event.model_dump_json().encode(), envelope, event.type)
        again = Envelope.for_event(event).model_copy(update={"type": "notification.chunk"})
        await _publish(publisher, chunks[0]["body"].encode(), again, "notification.chunk")
        handled = "SELECT count(*) FROM notifier.inbox WHERE message_id = $1"
        await _until(db, handled, again.message_id, expect=1)
    finally:
        await publisher.close()
    await asyncio.sleep(0.5)  # the event's redelivery too has been consumed by now
    assert await db.fetchval(rows, str(event.event_id)) == STUDENTS
    per_user = await db.fetchval(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM notifier.notifications "
        "WHERE data->>'event_id' = $1 GROUP BY user_id) AS counts",
        str(event.event_id),
    )
    assert per_user == 1
    assert await db.fetchval(
        "SELECT count(*) FROM notifier.outbox WHERE correlation_id = $1", envelope.correlation_id
    ) == len(chunks), "the redelivered event staged no second set of chunks"
    parents = await db.fetchval(
        "SELECT count(*) FROM notifier.notifications n JOIN notifier.memberships m "
        "ON m.user_id = n.user_id AND m.role = 'parent' WHERE n.data->>'event_id' = $1",
        str(event.event_id),
    )
    assert parents == 0, "the audience was the students"
    deadline = asyncio.get_running_loop().time() + 30
    while len(notifier.received(emails)) < STUDENTS:
        assert asyncio.get_running_loop().time() < deadline, f"{len(notifier.received(emails))} emails"
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # a second email would have come by now
    assert notifier.received(emails) == sorted(emails), "one email each, whatever was delivered twice"


async def test_members_whose_roster_arrives_after_the_fan_out_get_the_event_once(
    notifier: FlakySink, infra: Infra, db: asyncpg.Connection
) -> None:
    """A roster imported and an event created at once: the event's fan-out may run before the
    roster's messages are kept. Those members are sent it when their enrollment arrives."""
    course, emails = await _course(db)
    event = course_event(course, "students")
    publisher = Publisher(infra.amqp_url)
    rows = "SELECT count(*) FROM notifier.notifications WHERE data->>'event_id' = $1"
    try:
        await _publish(publisher, event.model_dump_json().encode(), Envelope.for_event(event), event.type)
        await _until(db, rows, str(event.event_id), expect=STUDENTS)
        late = [
            Member(user_id=uuid.uuid4(), email=f"late{i}@example.com", name="L", role="student")
            for i in range(300)
        ]
        roster = EnrollmentsChanged(course_id=course, members=tuple(late))
        # Enrolled (the gateway wrote the message) before the event was published.
        envelope = Envelope.for_event(roster).model_copy(
            update={"occurred_at": event.published_at - timedelta(seconds=1)}
        )
        for _ in range(2):  # and the roster's message delivered twice
            await _publish(publisher, roster.model_dump_json().encode(), envelope, roster.type)
        await _until(db, rows, str(event.event_id), expect=STUDENTS + len(late))
        await _until(db, "SELECT count(*) FROM notifier.deliveries d JOIN notifier.notifications n ON n.id = d.notification_id"
                     " WHERE n.data->>'event_id' = $1 AND d.state = 'sent'", str(event.event_id), expect=STUDENTS + len(late))  # fmt: skip
    finally:
        await publisher.close()
    late_emails = [m.email for m in late]
    assert notifier.received(late_emails) == sorted(late_emails), "one email each, none twice"
    assert notifier.received(emails) == sorted(emails)

"""The inbox API on a real HTTP server, broker and database: pages by cursor with the unread count,
marks; a live stream (SSE) that sees a course event's row the moment its chunk commits, only the
user's own, catches up after its listening connection is cut and on Last-Event-ID; preferences
with the digest; grades that reach the parents when the course says so."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from gradeflow_shared.auth import Tokens
from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import CourseChanged, EnrollmentsChanged, Event, Member, SubmissionGraded
from notifier.adapters.db.feed import FEED_NAME
from notifier.app import create_app
from notifier.settings import NotifierSettings
from tests.notifier.events import course_event
from tests.support.apps import listening
from tests.support.infra import Infra
from tests.support.smtp import FlakySink

pytestmark = pytest.mark.integration
DIGEST_WINDOW = 3.0


@dataclass
class Notifier:
    url: str
    tokens: Tokens
    publisher: Publisher
    sink: FlakySink

    def client(self, user: uuid.UUID) -> httpx.AsyncClient:
        auth = {"Authorization": f"Bearer {self.tokens.issue(user)}"}
        return httpx.AsyncClient(base_url=self.url, headers=auth, timeout=10)

    async def publish(self, event: Event) -> None:
        body = event.model_dump_json().encode()
        await self.publisher.publish(message_for(body, Envelope.for_event(event)), event.type)


@pytest.fixture
async def notifier(infra: Infra, smtp: tuple[FlakySink, int]) -> AsyncIterator[Notifier]:
    settings = NotifierSettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("notifier"),
        environment="test",
        auth_secret=infra.secret,
        smtp_port=smtp[1],
        digest_window_seconds=DIGEST_WINDOW,
        live_ping_seconds=1,
    )
    publisher = Publisher(infra.amqp_url)
    async with listening(create_app(settings)) as url:
        try:
            yield Notifier(url, Tokens(infra.secret), publisher, smtp[0])
        finally:
            await publisher.close()


def _member(role: str, follows: uuid.UUID | None = None) -> Member:
    user = uuid.uuid4()
    return Member(
        user_id=user, email=f"{user}@example.com", name=f"N{str(user)[:4]}", role=role, follows=follows
    )


async def _course(
    notifier: Notifier, db: asyncpg.Connection, *members: Member, parents: bool = False
) -> uuid.UUID:
    """A course as the gateway announces it, and the notifier's copy once it has arrived."""
    course = uuid.uuid4()
    await notifier.publish(CourseChanged(course_id=course, title="C", grades_to_parents=parents))
    await notifier.publish(EnrollmentsChanged(course_id=course, members=members))
    query = "SELECT count(*) FROM notifier.memberships WHERE course_id = $1"
    await _until(lambda: db.fetchval(query, course), len({m.user_id for m in members}))
    await _until(lambda: db.fetchval("SELECT count(*) FROM notifier.courses WHERE course_id = $1", course), 1)
    return course


async def _until(read: Any, expect: Any, timeout: float = 20) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while (value := await read()) != expect:
        assert asyncio.get_running_loop().time() < deadline, f"{value!r}, not {expect!r}"
        await asyncio.sleep(0.05)
    return value


class Stream:
    """An open SSE response, read event by event."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, timeout: float = 15) -> dict[str, str]:
        async def read() -> dict[str, str]:
            event: dict[str, str] = {}
            async for line in self._lines:
                if not line:
                    if "event" in event:
                        return event
                    event = {}  # a comment's (ping's) end
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    event[name] = value.removeprefix(" ")
            raise AssertionError("the stream ended")

        return await asyncio.wait_for(read(), timeout)


async def _open(client: httpx.AsyncClient, last_event_id: str | None = None) -> tuple[Stream, Any]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    request = client.build_request("GET", "/v1/notifications/stream", headers=headers)
    response = await client.send(request, stream=True)
    assert response.status_code == 200, await response.aread()
    assert response.headers["content-type"].startswith("text/event-stream")
    return Stream(response), response


async def test_pages_by_cursor_with_the_unread_count_and_marks(
    notifier: Notifier, db: asyncpg.Connection
) -> None:
    ada = _member("student")
    course = await _course(notifier, db, ada)
    for _ in range(5):
        await notifier.publish(course_event(course, "students"))
    query = "SELECT count(*) FROM notifier.notifications WHERE user_id = $1"
    await _until(lambda: db.fetchval(query, ada.user_id), 5)
    async with notifier.client(ada.user_id) as client:
        first = (await client.get("/v1/notifications", params={"limit": 2})).json()
        second = (
            await client.get("/v1/notifications", params={"limit": 2, "cursor": first["next_cursor"]})
        ).json()
        last = (
            await client.get("/v1/notifications", params={"limit": 2, "cursor": second["next_cursor"]})
        ).json()
        ids = [n["id"] for page in (first, second, last) for n in page["items"]]
        stored = await db.fetch(
            "SELECT id::text FROM notifier.notifications WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
            ada.user_id,
        )
        assert ids == [r["id"] for r in stored] and last["next_cursor"] is None and first["unread"] == 5
        assert (await client.post(f"/v1/notifications/{ids[0]}/read")).status_code == 204
        unread = (await client.get("/v1/notifications", params={"unread": "true"})).json()
        assert [n["id"] for n in unread["items"]] == ids[1:] and unread["unread"] == 4
        assert (await client.post("/v1/notifications/read-all")).json() == {"marked": 4}
        assert (await client.get("/v1/notifications")).json()["unread"] == 0
        bad = await client.get("/v1/notifications", params={"cursor": "bm90IGEgY3Vyc29y"})
        assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "cursor"
    async with notifier.client(uuid.uuid4()) as stranger:
        assert (await stranger.post(f"/v1/notifications/{ids[0]}/read")).status_code == 404
        assert (await stranger.get("/v1/notifications")).json()["items"] == []


async def test_a_stream_sees_its_users_new_notifications_at_once_and_catches_up(
    notifier: Notifier, db: asyncpg.Connection
) -> None:
    ada, bo = _member("student"), _member("student")
    teacher = _member("teacher")
    course = await _course(notifier, db, ada, bo, teacher)
    async with notifier.client(ada.user_id) as client, notifier.client(teacher.user_id) as other:
        stream, response = await _open(client)
        theirs, their_response = await _open(other)
        try:
            assert (await stream.next()) == {"event": "unread", "data": json.dumps({"unread": 0})}
            await theirs.next()
            event = course_event(course, "students")
            await notifier.publish(event)
            got = await stream.next()
            assert got["event"] == "notification" and json.loads(got["data"])["title"] == event.title
            assert json.loads(got["data"])["data"]["event_id"] == str(event.event_id)
            cursor = got["id"]

            # The listening connection cut from the database's side: the feed listens again and
            # the stream catches up with what was written meanwhile.
            cut = await db.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = $1 AND datname = current_database()",
                FEED_NAME,
            )
            assert cut >= 1
            later = course_event(course, "students")
            await notifier.publish(later)
            got = await stream.next()
            assert json.loads(got["data"])["data"]["event_id"] == str(later.event_id)
            with pytest.raises(TimeoutError):
                await theirs.next(timeout=1.5)  # the teacher is not in the audience: nothing
        finally:
            await response.aclose()
            await their_response.aclose()
        # Reconnecting with the first event's id replays what came after it.
        again, again_response = await _open(client, last_event_id=cursor)
        try:
            assert json.loads((await again.next())["data"]) == {"unread": 2}
            replayed = await again.next()
            assert json.loads(replayed["data"])["data"]["event_id"] == str(later.event_id)
        finally:
            await again_response.aclose()
        refused = await client.get("/v1/notifications/stream", headers={"Last-Event-ID": "junk"})
        assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "Last-Event-ID"


async def test_preferences_the_digest_gathers_low_priority_emails_into_one_a_window(
    notifier: Notifier, db: asyncpg.Connection
) -> None:
    ada, bo = _member("student"), _member("student")
    course = await _course(notifier, db, ada, bo)
    async with notifier.client(ada.user_id) as client:
        put = await client.put(
            "/v1/preferences",
            json={"digest": True, "channels": [{"channel": "email", "category": "exam", "enabled": False}]},
        )
        assert put.status_code == 200, put.text
        view = (await client.get("/v1/preferences")).json()
        assert view["digest"] is True
        assert [c for c in view["channels"] if not c["enabled"]] == [
            {"channel": "email", "category": "exam", "enabled": False}
        ]
        bad = await client.put(
            "/v1/preferences", json={"channels": [{"channel": "sms", "category": "exam", "enabled": False}]}
        )
        assert bad.status_code == 422
    low = [
        course_event(course, "students").model_copy(
            update={"priority": "low", "category": "announcement", "title": f"Low {i}"}
        )
        for i in range(3)
    ]
    exam = course_event(course, "students")  # Ada turned exam emails off: Bo alone gets one
    for event in (*low, exam):
        await notifier.publish(event)
    deliveries = "SELECT count(*) FROM notifier.deliveries d JOIN notifier.notifications n ON n.id = d.notification_id WHERE n.user_id = $1"
    await _until(lambda: db.fetchval(deliveries, bo.user_id), 4)
    await _until(lambda: db.fetchval(deliveries, ada.user_id), 3)
    channels = await db.fetch(
        "SELECT d.channel, d.next_attempt_at, d.attempts, n.created_at FROM notifier.deliveries d"
        " JOIN notifier.notifications n ON n.id = d.notification_id WHERE n.user_id = $1",
        ada.user_id,
    )
    assert {r["channel"] for r in channels} == {"digest"}, "Ada's low-priority emails wait for the digest"
    # Staged with the notification (one statement): due when the window it was made in closes. A
    # row the digest sender has taken already (its window closed) carries its lease instead.
    closes = [(r["created_at"].timestamp() // DIGEST_WINDOW + 1) * DIGEST_WINDOW for r in channels]
    waiting = [(r, end) for r, end in zip(channels, closes, strict=True) if r["attempts"] == 0]
    assert all(r["next_attempt_at"].timestamp() == end for r, end in waiting), "due when the window closes"
    windows = set(closes)
    sent = "SELECT count(*) FROM notifier.deliveries d JOIN notifier.notifications n ON n.id = d.notification_id WHERE n.user_id = $1 AND d.state = 'sent'"
    await _until(lambda: db.fetchval(sent, ada.user_id), 3)
    await _until(lambda: db.fetchval(sent, bo.user_id), 4)
    to_ada = [m for m in notifier.sink.messages if m["To"] == ada.email]
    assert len(to_ada) == len(windows), "one digest per window, no single emails"
    assert all(m["Subject"].startswith("Gradeflow digest") for m in to_ada)
    text = "".join(_plain(m) for m in to_ada)
    assert all(e.title in text for e in low) and exam.title not in text
    assert notifier.sink.per_recipient[bo.email] == 4


def _plain(message: Any) -> str:
    parts = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    return "".join(p.get_payload(decode=True).decode() for p in parts)


async def test_a_grade_reaches_the_parents_who_follow_the_student_when_the_course_says_so(
    notifier: Notifier, db: asyncpg.Connection
) -> None:
    ada, bo = _member("student"), _member("student")
    # A parent of both children (a member per child), and a parent of Bo only.
    both = _member("parent", ada.user_id)
    both_again = both.model_copy(update={"follows": bo.user_id})
    bos = _member("parent", bo.user_id)
    told = await _course(notifier, db, ada, bo, both, both_again, bos, parents=True)
    kept = await _course(notifier, db, ada, both, parents=False)
    for course in (told, kept):
        await notifier.publish(
            SubmissionGraded(
                submission_id=uuid.uuid4(),
                assignment_id=uuid.uuid4(),
                course_id=course,
                student_id=ada.user_id,
                verdict="accepted",
                score=1,
                max_score=1,
                tests=(),
                graded_at=datetime.now(UTC),
            )
        )
    graded = "SELECT count(*) FROM notifier.notifications WHERE kind = 'submission.graded' AND user_id = $1"
    await _until(lambda: db.fetchval(graded, ada.user_id), 2)
    await _until(lambda: db.fetchval(graded, both.user_id), 1)
    await asyncio.sleep(0.5)
    assert await db.fetchval(graded, both.user_id) == 1, "only the course that says so tells the parents"
    assert await db.fetchval(graded, bos.user_id) == 0, "a parent of another child hears nothing"
    title = await db.fetchval(
        "SELECT title FROM notifier.notifications WHERE kind = 'submission.graded' AND user_id = $1",
        both.user_id,
    )
    assert title.startswith(f"{ada.name}'s submission")
    links = await db.fetchval(
        "SELECT count(*) FROM notifier.parent_links WHERE parent_id = $1 AND course_id = $2",
        both.user_id,
        told,
    )
    assert links == 2

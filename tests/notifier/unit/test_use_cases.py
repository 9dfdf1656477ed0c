"""The notifier's use cases in memory: recipients kept from enrollment events, grades to the student
and (if the course says so) the parents, the inbox paged, marked and streamed by its owner only,
preferences and the digest."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import CourseChanged, EnrollmentChanged, Member, SubmissionGraded
from gradeflow_shared.topology import NOTIFIER_GRADES
from gradeflow_shared.unit_of_work import claimed
from notifier.adapters.mail import compose_digests
from notifier.domain.errors import Invalid, NotFound
from notifier.usecases import inbox, notify
from tests.notifier.unit.fakes import FakeNotifierStore, FakeRepos
from tests.support.fakes import FakeUnits, record


def _units() -> FakeUnits[FakeRepos]:
    return FakeUnits(FakeRepos(FakeNotifierStore()))


def _enrollment(active: bool, course: UUID, user: UUID) -> EnrollmentChanged:
    return EnrollmentChanged(
        course_id=course, user_id=user, email="a@example.com", name="A", role="student", active=active
    )


def _graded(student: UUID, course: UUID | None = None) -> SubmissionGraded:
    return SubmissionGraded(
        submission_id=uuid.uuid4(),
        assignment_id=uuid.uuid4(),
        course_id=course or uuid.uuid4(),
        student_id=student,
        verdict="accepted",
        score=3,
        max_score=3,
        tests=(),
        graded_at=datetime.now(UTC),
    )


async def test_an_enrollment_keeps_the_recipient_and_a_withdrawal_removes_the_membership() -> None:
    units = _units()
    course, user = uuid.uuid4(), uuid.uuid4()
    for active in (True, False):
        async with units() as uow:
            await notify.record_enrollment(
                uow, _enrollment(active, course, user), Envelope.for_event(_graded(user))
            )
            await uow.commit()
        assert ((course, user) in units.repos.store.memberships) is active
    assert units.repos.store.recipients[user].email == "a@example.com"


async def _run(units: FakeUnits[FakeRepos], handler: Any, event: Any) -> None:
    async with units() as uow:
        await handler(uow, event, Envelope.for_event(event))
        await uow.commit()


async def _family(units: FakeUnits[FakeRepos], grades_to_parents: bool) -> tuple[UUID, ...]:
    """A course with a student, her two parents, and a parent of another child."""
    course, student, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    mum, dad, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def member(user: UUID, name: str, role: str, follows: UUID | None = None) -> Member:
        return Member(user_id=user, email=f"{name}@example.com", name=name, role=role, follows=follows)  # type: ignore[arg-type]

    members = [
        member(student, "Ada", "student"), member(other, "Bo", "student"), member(mum, "Mum", "parent", student),
        member(dad, "Dad", "parent", student), member(stranger, "Pa", "parent", other),
    ]  # fmt: skip
    async with units() as uow:
        await uow.repos.store.upsert_members(course, members)
        await uow.commit()
    changed = CourseChanged(course_id=course, title="C", grades_to_parents=grades_to_parents)
    await _run(units, notify.record_course, changed)
    return course, student, mum, dad, stranger


async def test_a_grade_reaches_its_student_once_however_often_it_is_delivered() -> None:
    units = _units()
    course, student, mum, dad, stranger = await _family(units, grades_to_parents=False)
    event = _graded(student, course)
    handler = claimed(units, NOTIFIER_GRADES, notify.notify_graded)
    await handler(event, Envelope.for_event(event))
    await handler(event, Envelope.for_event(event))  # the same grade announced again, as a new message
    [note] = (await inbox.page(units, student, 10, None, False)).items
    assert note.kind == "submission.graded" and "Accepted" in note.title and "3/3" in note.body
    assert note.data["submission_id"] == str(event.submission_id) and note.category == "grade"
    assert [d.address for d in units.repos.store.deliveries.values()] == ["Ada@example.com"], "and one email"
    for parent in (mum, dad, stranger):
        assert (await inbox.page(units, parent, 10, None, False)).items == [], "the course keeps parents out"


async def test_a_course_that_says_so_sends_grades_to_the_students_parents_only() -> None:
    units = _units()
    course, student, mum, dad, stranger = await _family(units, grades_to_parents=True)
    event = _graded(student, course)
    await _run(units, notify.notify_graded, event)
    await _run(units, notify.notify_graded, event)
    for parent in (mum, dad):
        [note] = (await inbox.page(units, parent, 10, None, False)).items
        assert note.title.startswith("Ada's submission was graded")
    assert (await inbox.page(units, stranger, 10, None, False)).items == []
    assert len(units.repos.store.deliveries) == 3, "an email each to the student and the two parents"


async def test_the_inbox_pages_by_cursor_with_the_unread_count_and_marks_all_read() -> None:
    units = _units()
    _, student, *_ = await _family(units, grades_to_parents=False)
    for _ in range(5):
        await _run(units, notify.notify_graded, _graded(student))
    first = await inbox.page(units, student, 2, None, False)
    second = await inbox.page(units, student, 2, first.next_cursor, False)
    last = await inbox.page(units, student, 2, second.next_cursor, False)
    pages = [n.id for n in [*first.items, *second.items, *last.items]]
    newest_first = [
        n.id for n in sorted(units.repos.store.notifications, key=lambda n: n.created_at, reverse=True)
    ]
    assert pages == newest_first and last.next_cursor is None and first.unread == 5
    await inbox.mark_read(units, student, pages[0])
    assert [n.id for n in (await inbox.page(units, student, 10, None, True)).items] == pages[1:]
    assert await inbox.mark_all_read(units, student) == 4
    assert (await inbox.page(units, student, 10, None, False)).unread == 0
    with pytest.raises(Invalid) as bad:
        await inbox.page(units, student, 2, "not-a-cursor", False)
    assert bad.value.field == "cursor"


async def test_a_user_marks_only_their_own_notification_read() -> None:
    units = _units()
    _, student, mum, *_ = await _family(units, grades_to_parents=False)
    await _run(units, notify.notify_graded, _graded(student))
    [note] = (await inbox.page(units, student, 10, None, False)).items
    with pytest.raises(NotFound):
        await inbox.mark_read(units, mum, note.id)
    assert note.read_at is None
    await inbox.mark_read(units, student, note.id)
    assert note.read_at is not None


class _Feed:
    """The live feed in memory: the test hands news to the open stream."""

    def __init__(self) -> None:
        self.updates: asyncio.Queue[list[Any] | None] = asyncio.Queue()

    @contextlib.asynccontextmanager
    async def subscribe(self, user_id: UUID) -> AsyncIterator[asyncio.Queue[list[Any] | None]]:
        yield self.updates


async def test_a_stream_sends_the_unread_count_then_each_new_notification_and_catches_up() -> None:
    units = _units()
    _, student, *_ = await _family(units, grades_to_parents=False)
    await _run(units, notify.notify_graded, _graded(student))
    feed = _Feed()
    events = inbox.stream(units, feed, student, None)
    assert await anext(events) == ("unread", None, {"unread": 1})
    await _run(units, notify.notify_graded, _graded(student))
    newest = units.repos.store.notifications[-1]
    feed.updates.put_nowait([newest])
    event, cursor, row = await anext(events)
    assert (event, row.id) == ("notification", newest.id) and cursor is not None
    for _ in range(2):  # written while the stream was behind: a catch-up, each sent once
        await _run(units, notify.notify_graded, _graded(student))
    feed.updates.put_nowait(None)
    feed.updates.put_nowait([units.repos.store.notifications[-1]])
    caught = [(await anext(events))[2].id for _ in range(2)]
    assert caught == [n.id for n in units.repos.store.notifications[-2:]]
    await events.aclose()
    again = inbox.stream(units, _Feed(), student, cursor)  # reconnecting with Last-Event-ID
    await anext(again)
    assert [(await anext(again))[2].id for _ in range(2)] == caught
    await again.aclose()


async def test_preferences_list_every_channel_and_category_and_change_only_what_is_named() -> None:
    units = _units()
    _, student, *_ = await _family(units, grades_to_parents=False)
    before = await inbox.preferences(units, student)
    assert before.digest is False and len(before.channels) == 8 and all(c["enabled"] for c in before.channels)
    after = await inbox.set_preferences(units, student, True, [("email", "announcement", False)])
    off = [(c["channel"], c["category"]) for c in after.channels if not c["enabled"]]
    assert after.digest is True and off == [("email", "announcement")]
    with pytest.raises(NotFound):
        await inbox.preferences(units, uuid.uuid4())


def test_a_digest_is_one_mail_per_address_listing_its_notifications_oldest_first() -> None:
    at = datetime(2026, 1, 5, tzinfo=UTC)

    def row(address: str, title: str, minute: int) -> Any:
        return record(
            id=uuid.uuid4(), address=address, title=title, body="b", created_at=at.replace(minute=minute)
        )

    rows = [row("a@x.org", "second", 2), row("b@x.org", "only", 1), row("a@x.org", "first", 1)]
    mails = compose_digests(rows)
    assert [(m.to, len(carried)) for m, carried in mails] == [("a@x.org", 2), ("b@x.org", 1)]
    mail, carried = mails[0]
    assert mail.text.index("first") < mail.text.index("second") and "2 notifications" in mail.subject
    assert mail.delivery_id == min(r.id for r in carried)

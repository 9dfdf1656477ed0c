"""Course events in memory: the audience sliced into chunks staged with the event's claim, each
chunk one bulk write, every recipient notified once however often either is delivered."""

import uuid
from collections import Counter
from datetime import timedelta
from uuid import UUID

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import CourseEventPublished, EnrollmentChanged, NotificationChunk
from gradeflow_shared.topology import NOTIFIER_CHUNKS, NOTIFIER_COURSE_EVENTS
from gradeflow_shared.unit_of_work import claimed
from notifier.usecases import fanout, notify
from tests.notifier.events import course_event
from tests.notifier.unit.fakes import FakeNotifierStore, FakeRepos
from tests.support.fakes import FakeUnits

Units = FakeUnits[FakeRepos]


def _course(units: Units, students: int, parents: int, teachers: int = 1) -> UUID:
    course = uuid.uuid4()
    for role, n in (("student", students), ("parent", parents), ("teacher", teachers)):
        for _ in range(n):
            units.repos.store.memberships[(course, uuid.uuid4())] = role
    return course


async def _fan_out(units: Units, event: CourseEventPublished, chunk_size: int) -> list[NotificationChunk]:
    handler = claimed(units, NOTIFIER_COURSE_EVENTS, fanout.FanOut(chunk_size))
    await handler(event, Envelope.for_event(event))
    return units.events(NotificationChunk)


async def test_an_audience_is_sliced_into_chunks_of_its_members_only() -> None:
    units = FakeUnits(FakeRepos(FakeNotifierStore()))
    course = _course(units, students=25, parents=7)
    _course(units, students=5, parents=5)  # another course: none of its members
    chunks = await _fan_out(units, course_event(course, "students"), chunk_size=10)
    assert [len(c.recipients) for c in chunks] == [10, 10, 5]
    assert [c.position for c in chunks] == [0, 1, 2]
    students = {
        u for (c, u), role in units.repos.store.memberships.items() if c == course and role == "student"
    }
    assert [u for c in chunks for u in c.recipients] == sorted(students), "each once, in id order"
    assert {(c.category, c.priority, c.title) for c in chunks} == {("exam", "high", "Exam moved")}


async def test_a_redelivered_event_stages_its_chunks_once() -> None:
    units = FakeUnits(FakeRepos(FakeNotifierStore()))
    event = course_event(_course(units, students=3, parents=3), "all")
    handler = claimed(units, NOTIFIER_COURSE_EVENTS, fanout.FanOut(4))
    envelope = Envelope.for_event(event)
    await handler(event, envelope)
    await handler(event, envelope)
    chunks = units.events(NotificationChunk)
    assert sum(len(c.recipients) for c in chunks) == 7 and units.commits == 1


async def test_an_event_for_nobody_stages_nothing() -> None:
    units = FakeUnits(FakeRepos(FakeNotifierStore()))
    assert await _fan_out(units, course_event(_course(units, students=4, parents=0), "parents"), 10) == []


async def test_each_recipient_gets_one_notification_however_often_a_chunk_arrives() -> None:
    units = FakeUnits(FakeRepos(FakeNotifierStore()))
    chunks = await _fan_out(units, course_event(_course(units, students=12, parents=0), "students"), 5)
    deliver = claimed(units, NOTIFIER_CHUNKS, fanout.deliver_chunk)
    for chunk in chunks:
        await deliver(chunk, Envelope.for_event(chunk))
    # The same chunk again under new message ids (a second publish, not a redelivery): the
    # inbox claim does not know them, the notification ids do.
    for chunk in chunks:
        await deliver(chunk, Envelope.for_event(chunk))
    per_user = Counter(n.user_id for n in units.repos.store.notifications)
    assert len(per_user) == 12 and set(per_user.values()) == {1}
    note = units.repos.store.notifications[0]
    assert (note.kind, note.category, note.priority) == ("course_event.published", "exam", "high")


async def test_a_parent_link_is_kept_and_dropped_with_the_enrollment() -> None:
    units = FakeUnits(FakeRepos(FakeNotifierStore()))
    course, parent, child = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for active in (True, False):
        event = EnrollmentChanged(
            course_id=course, user_id=parent, email="p@example.com", name="P", role="parent", active=active,
            follows=child,
        )  # fmt: skip
        async with units() as uow:
            await notify.record_enrollment(uow, event, Envelope.for_event(event))
            await uow.commit()
        assert ((course, parent, child) in units.repos.store.links) is active


async def test_a_member_whose_enrollment_arrives_after_the_fan_out_still_gets_the_event_once() -> None:
    units = FakeUnits(FakeRepos(FakeNotifierStore()))
    course = _course(units, students=3, parents=0)
    event = course_event(course, "students")
    for chunk in await _fan_out(units, event, chunk_size=10):
        await claimed(units, NOTIFIER_CHUNKS, fanout.deliver_chunk)(chunk, Envelope.for_event(chunk))
    late, teacher = uuid.uuid4(), uuid.uuid4()
    # Enrolled before the event was published; the enrollment's message reaches the notifier after.
    before = Envelope.for_event(event).model_copy(
        update={"occurred_at": event.published_at - timedelta(seconds=1)}
    )
    for user, role in ((late, "student"), (teacher, "teacher")):
        enrolled = EnrollmentChanged(
            course_id=course,
            user_id=user,
            email=f"{user}@x.org",
            name="L",
            role=role,
            active=True,  # type: ignore[arg-type]
        )
        for _ in range(2):  # and delivered twice
            async with units() as uow:
                await notify.record_enrollment(uow, enrolled, before)
                await uow.commit()
    mine = [n for n in units.repos.store.notifications if n.user_id == late]
    assert [n.data["event_id"] for n in mine] == [str(event.event_id)], "once, the fan-out's id"
    assert not [n for n in units.repos.store.notifications if n.user_id == teacher], "not in the audience"
    assert units.repos.store.locked.count(course) >= 3, "fan-out and arrivals take the course's lock"
    # Enrolled well after the event: nothing from before they joined.
    later = Envelope.for_event(event).model_copy(
        update={"occurred_at": event.published_at + timedelta(minutes=1)}
    )
    newcomer = uuid.uuid4()
    async with units() as uow:
        joined = EnrollmentChanged(
            course_id=course, user_id=newcomer, email="n@x.org", name="N", role="student", active=True
        )
        await notify.record_enrollment(uow, joined, later)
        await uow.commit()
    assert not [n for n in units.repos.store.notifications if n.user_id == newcomer]

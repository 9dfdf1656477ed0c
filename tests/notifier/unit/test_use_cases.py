"""The notifier's use cases in memory: recipients kept from enrollment events, the inbox filled
from grades and read by its owner only."""

import uuid
from datetime import UTC, datetime
from uuid import UUID

import pytest

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import EnrollmentChanged, SubmissionGraded
from gradeflow_shared.topology import NOTIFIER_GRADES
from gradeflow_shared.unit_of_work import claimed
from notifier.domain.errors import NotFound
from notifier.usecases import notify
from tests.notifier.unit.fakes import FakeNotifierStore
from tests.support.fakes import FakeUnits


def _units() -> FakeUnits[FakeNotifierStore]:
    return FakeUnits(FakeNotifierStore())


def _enrollment(active: bool, course: UUID, user: UUID) -> EnrollmentChanged:
    return EnrollmentChanged(
        course_id=course, user_id=user, email="a@example.com", name="A", role="student", active=active
    )


def _graded(student: UUID) -> SubmissionGraded:
    return SubmissionGraded(
        submission_id=uuid.uuid4(),
        assignment_id=uuid.uuid4(),
        course_id=uuid.uuid4(),
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
        assert ((course, user) in units.repos.memberships) is active
    assert units.repos.recipients[user].email == "a@example.com"


async def test_a_grade_reaches_its_student_once_however_often_it_is_delivered() -> None:
    units = _units()
    student = uuid.uuid4()
    event = _graded(student)
    handler = claimed(units, NOTIFIER_GRADES, notify.notify_graded)
    envelope = Envelope.for_event(event)
    await handler(event, envelope)
    await handler(event, envelope)
    [note] = await notify.list_inbox(units, student, 10)
    assert note.kind == "submission.graded" and "Accepted" in note.title and "3/3" in note.body
    assert note.data["submission_id"] == str(event.submission_id)


async def test_a_user_marks_only_their_own_notification_read() -> None:
    units = _units()
    student = uuid.uuid4()
    await claimed(units, NOTIFIER_GRADES, notify.notify_graded)(
        _graded(student), Envelope.for_event(_graded(student))
    )
    [note] = await notify.list_inbox(units, student, 10)
    with pytest.raises(NotFound):
        await notify.mark_read(units, uuid.uuid4(), note.id)
    assert note.read_at is None
    await notify.mark_read(units, student, note.id)
    assert note.read_at is not None

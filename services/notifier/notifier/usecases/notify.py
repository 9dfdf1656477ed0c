"""Keeping recipients and course settings current, and grades to the student and their parents."""

from collections.abc import Sequence
from uuid import UUID

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import (
    CourseChanged,
    EnrollmentChanged,
    EnrollmentsChanged,
    Member,
    SubmissionGraded,
)
from notifier.domain.messages import graded_message, graded_notification_id
from notifier.usecases.fanout import catch_up
from notifier.usecases.ports import Uow


async def record_enrollment(uow: Uow, event: EnrollmentChanged, envelope: Envelope) -> None:
    if event.active:
        member = Member(
            user_id=event.user_id, email=event.email, name=event.name, role=event.role, follows=event.follows
        )
        await _arrive(uow, event.course_id, [member], envelope)
    else:
        await uow.repos.people.remove_parent_links(event.course_id, event.user_id)
        await uow.repos.people.remove_membership(event.course_id, event.user_id)


async def record_enrollments(uow: Uow, event: EnrollmentsChanged, envelope: Envelope) -> None:
    """A roster import's members, in bulk."""
    await _arrive(uow, event.course_id, event.members, envelope)


async def _arrive(uow: Uow, course_id: UUID, members: Sequence[Member], envelope: Envelope) -> None:
    """Members kept, and sent what the course announced since they were enrolled (the time their
    enrollment's message was written), one course's arrivals and fan-outs at a time."""
    await uow.repos.people.lock_course(course_id)
    await uow.repos.people.upsert_members(course_id, members)
    await catch_up(uow, course_id, members, envelope.occurred_at)


async def record_course(uow: Uow, event: CourseChanged, _: Envelope) -> None:
    await uow.repos.people.upsert_course(event.course_id, event.grades_to_parents)


async def notify_graded(uow: Uow, event: SubmissionGraded, _: Envelope) -> None:
    """The student's grade to their inbox (and email, webhooks, as they chose), and to the parents
    following them if the course says so. Ids derived from the submission and the person (and a
    regrade's suite version): a redelivered or repeated grade notifies no one twice. A regrade that
    moved nothing, or whose grade an override holds, comes with `notify` false: no one is told."""
    if not event.notify:
        return
    version = event.suite_version if event.regrade_id is not None else None
    data = {
        "submission_id": str(event.submission_id),
        "assignment_id": str(event.assignment_id),
        "course_id": str(event.course_id),
        "verdict": event.verdict,
        "score": event.score,
        "max_score": event.max_score,
    }
    title, body = graded_message(event)
    message = {"kind": SubmissionGraded.type, "data": data, "category": "grade", "priority": "normal"}
    student = [(graded_notification_id(event.submission_id, event.student_id, version), event.student_id)]
    await uow.repos.inbox.add_notifications(student, {**message, "title": title, "body": body})
    parents = await uow.repos.people.parents_told_of_grades(event.course_id, event.student_id)
    if parents:
        name = await uow.repos.people.recipient_name(event.student_id) or "Your child"
        title, body = graded_message(event, student_name=name)
        rows = [(graded_notification_id(event.submission_id, p, version), p) for p in parents]
        await uow.repos.inbox.add_notifications(rows, {**message, "title": title, "body": body})

"""Keeping recipients current, grades to the in-app inbox, and the inbox's own reads and marks."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import EnrollmentChanged, EnrollmentsChanged, Member, SubmissionGraded
from notifier.domain.errors import NotFound
from notifier.domain.messages import graded_message
from notifier.usecases.ports import Units, Uow


async def record_enrollment(uow: Uow, event: EnrollmentChanged, _: Envelope) -> None:
    if event.active:
        member = Member(
            user_id=event.user_id, email=event.email, name=event.name, role=event.role, follows=event.follows
        )
        await uow.repos.upsert_members(event.course_id, [member])
    else:
        await uow.repos.remove_parent_links(event.course_id, event.user_id)
        await uow.repos.remove_membership(event.course_id, event.user_id)


async def record_enrollments(uow: Uow, event: EnrollmentsChanged, _: Envelope) -> None:
    """A roster import's members, in bulk."""
    await uow.repos.upsert_members(event.course_id, event.members)


async def notify_graded(uow: Uow, event: SubmissionGraded, _: Envelope) -> None:
    title, body = graded_message(event)
    data = {
        "submission_id": str(event.submission_id),
        "assignment_id": str(event.assignment_id),
        "verdict": event.verdict,
        "score": event.score,
        "max_score": event.max_score,
    }
    await uow.repos.add_notification(event.student_id, SubmissionGraded.type, title, body, data)


async def list_inbox(units: Units, user_id: UUID, limit: int) -> Sequence[Any]:
    async with units() as uow:
        return await uow.repos.list_inbox(user_id, limit)


async def mark_read(units: Units, user_id: UUID, notification_id: UUID) -> None:
    """Only the user's own notification; marking one read twice keeps the first time."""
    async with units() as uow:
        if not await uow.repos.mark_read(user_id, notification_id):
            raise NotFound("notification not found", field="notification_id")
        await uow.commit()

"""Keeping recipients current and filling the in-app inbox; idempotent by message id."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gradeflow_shared.consumer import claim
from gradeflow_shared.db import SessionFactory
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import EnrollmentChanged, SubmissionGraded
from gradeflow_shared.ids import new_id
from gradeflow_shared.topology import NOTIFIER_GRADES, NOTIFIER_RECIPIENTS
from notifier.adapters.db.tables import inbox, memberships, notifications, recipients
from notifier.domain.messages import graded_message


async def record_enrollment(sessions: SessionFactory, event: EnrollmentChanged, envelope: Envelope) -> None:
    async with sessions.begin() as session:
        if not await claim(session, inbox, envelope.message_id, NOTIFIER_RECIPIENTS.queue):
            return
        person = {"email": event.email, "name": event.name}
        await session.execute(
            pg_insert(recipients)
            .values(user_id=event.user_id, **person)
            .on_conflict_do_update(index_elements=[recipients.c.user_id], set_=person)
        )
        if event.active:
            await session.execute(
                pg_insert(memberships)
                .values(course_id=event.course_id, user_id=event.user_id, role=event.role)
                .on_conflict_do_update(
                    index_elements=[memberships.c.course_id, memberships.c.user_id],
                    set_={"role": event.role},
                )
            )
        else:
            await session.execute(
                memberships.delete().where(
                    memberships.c.course_id == event.course_id,
                    memberships.c.user_id == event.user_id,
                )
            )


async def notify_graded(sessions: SessionFactory, event: SubmissionGraded, envelope: Envelope) -> None:
    title, body = graded_message(event)
    async with sessions.begin() as session:
        if not await claim(session, inbox, envelope.message_id, NOTIFIER_GRADES.queue):
            return
        await session.execute(
            notifications.insert().values(
                id=new_id(),
                user_id=event.student_id,
                kind="submission.graded",
                title=title,
                body=body,
                data={
                    "submission_id": str(event.submission_id),
                    "assignment_id": str(event.assignment_id),
                    "verdict": event.verdict,
                    "score": event.score,
                    "max_score": event.max_score,
                },
            )
        )


async def list_inbox(sessions: SessionFactory, user_id: UUID, limit: int) -> Sequence[Row[Any]]:
    async with sessions() as session:
        stmt = (
            select(notifications)
            .where(notifications.c.user_id == user_id)
            .order_by(notifications.c.created_at.desc())
            .limit(limit)
        )
        return (await session.execute(stmt)).all()


async def mark_read(sessions: SessionFactory, user_id: UUID, notification_id: UUID) -> bool:
    async with sessions.begin() as session:
        result = await session.execute(
            update(notifications)
            .where(notifications.c.id == notification_id, notifications.c.user_id == user_id)
            .values(read_at=func.coalesce(notifications.c.read_at, func.now()))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

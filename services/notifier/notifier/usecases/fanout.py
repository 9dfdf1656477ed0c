"""Course events to their audience: one event becomes chunks (messages of their own, shared by
every notifier replica), each chunk a bulk write of its recipients' inbox rows; a member whose
enrollment reaches the notifier after an event it preceded is sent the event on arrival."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import CourseEventPublished, Member, NotificationChunk
from notifier.domain.fanout import ROLES, chunks, notification_id
from notifier.usecases.ports import Uow

# An enrollment's time is the gateway's clock, an event's the database's: events published this
# much before an enrollment are sent to the new member too (at worst a notice from just before
# they joined).
ENROLLMENT_CLOCK_SLACK = timedelta(seconds=5)


class FanOut:
    """Slices an event's audience into chunks of `chunk_size`, staged in the unit that claims the
    event: a redelivered event is a no-op, and the chunks are published once, by the outbox."""

    def __init__(self, chunk_size: int) -> None:
        self.chunk_size = chunk_size

    async def __call__(self, uow: Uow, event: CourseEventPublished, envelope: Envelope) -> None:
        await uow.repos.people.lock_course(event.course_id)
        message = event_message(event)
        await uow.repos.people.record_course_event(
            event.event_id, event.course_id, event.audience, event.published_at, message
        )
        members = await uow.repos.people.audience(event.course_id, ROLES[event.audience])
        for position, recipients in enumerate(chunks(members, self.chunk_size)):
            chunk = NotificationChunk(
                event_id=event.event_id,
                course_id=event.course_id,
                position=position,
                recipients=recipients,
                **message,
            )
            uow.add_event(chunk, correlation_id=envelope.correlation_id)


def event_message(event: CourseEventPublished) -> dict[str, Any]:
    """What each recipient's notification of the event says."""
    return {
        "kind": CourseEventPublished.type,
        "title": event.title,
        "body": event.body,
        "category": event.category,
        "priority": event.priority,
        "data": {"event_id": str(event.event_id), "course_id": str(event.course_id)},
    }


async def catch_up(uow: Uow, course_id: UUID, members: Sequence[Member], enrolled_at: datetime) -> None:
    """Newly arrived members get the course's events fanned out since they were enrolled — which
    the fan-out could not know of — each once (the id the fan-out would have given it)."""
    for event in await uow.repos.people.course_events_since(course_id, enrolled_at - ENROLLMENT_CLOCK_SLACK):
        roles = ROLES[event.audience]
        rows = [(notification_id(event.event_id, m.user_id), m.user_id) for m in members if m.role in roles]
        if rows:
            await uow.repos.inbox.add_notifications(list(dict.fromkeys(rows)), event.message)


async def deliver_chunk(uow: Uow, chunk: NotificationChunk, _: Envelope) -> None:
    """Every recipient's inbox row and email delivery in one statement (ids derived from the event
    and the person: a row written before is skipped, and its email with it)."""
    rows: list[tuple[UUID, UUID]] = [
        (notification_id(chunk.event_id, user), user) for user in chunk.recipients
    ]
    message = chunk.model_dump(include={"kind", "title", "body", "data", "category", "priority"})
    await uow.repos.inbox.add_notifications(rows, message)

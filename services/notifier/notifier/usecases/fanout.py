"""Course events to their audience: one event becomes chunks (messages of their own, shared by
every notifier replica), each chunk a bulk write of its recipients' inbox rows."""

from uuid import UUID

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import CourseEventPublished, NotificationChunk
from notifier.domain.fanout import ROLES, chunks, notification_id
from notifier.usecases.ports import Uow


class FanOut:
    """Slices an event's audience into chunks of `chunk_size`, staged in the unit that claims the
    event: a redelivered event is a no-op, and the chunks are published once, by the outbox."""

    def __init__(self, chunk_size: int) -> None:
        self.chunk_size = chunk_size

    async def __call__(self, uow: Uow, event: CourseEventPublished, envelope: Envelope) -> None:
        members = await uow.repos.audience(event.course_id, ROLES[event.audience])
        data = {"event_id": str(event.event_id), "course_id": str(event.course_id)}
        for position, recipients in enumerate(chunks(members, self.chunk_size)):
            chunk = NotificationChunk(
                event_id=event.event_id,
                course_id=event.course_id,
                position=position,
                kind=CourseEventPublished.type,
                title=event.title,
                body=event.body,
                category=event.category,
                priority=event.priority,
                data=data,
                recipients=recipients,
            )
            uow.add_event(chunk, correlation_id=envelope.correlation_id)


async def deliver_chunk(uow: Uow, chunk: NotificationChunk, _: Envelope) -> None:
    """Every recipient's inbox row and email delivery in one statement (ids derived from the event
    and the person: a row written before is skipped, and its email with it)."""
    rows: list[tuple[UUID, UUID]] = [
        (notification_id(chunk.event_id, user), user) for user in chunk.recipients
    ]
    message = chunk.model_dump(include={"kind", "title", "body", "data", "category", "priority"})
    await uow.repos.add_notifications(rows, message)

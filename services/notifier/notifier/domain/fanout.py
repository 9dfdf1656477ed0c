"""Fan-out, pure: who an audience is, how it is sliced, and each recipient's notification id."""

from collections.abc import Iterator, Sequence
from uuid import UUID, uuid5

from gradeflow_shared.events import Audience

ROLES: dict[Audience, tuple[str, ...]] = {
    "students": ("student",),
    "teachers": ("teacher",),
    "parents": ("parent",),
    "all": ("student", "teacher", "parent"),
}


def chunks(recipients: Sequence[UUID], size: int) -> Iterator[tuple[UUID, ...]]:
    for start in range(0, len(recipients), size):
        yield tuple(recipients[start : start + size])


def notification_id(event_id: UUID, user_id: UUID) -> UUID:
    """The same for the same event and person, however often a chunk is delivered: the inbox keeps
    one row for it."""
    return uuid5(event_id, str(user_id))

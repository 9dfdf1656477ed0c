"""What the notifier's use cases need from the outside: its store and the unit of work around it."""

from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from gradeflow_shared.unit_of_work import UnitOfWork, UnitsOfWork


class NotifierStore(Protocol):
    async def upsert_recipient(self, user_id: UUID, email: str, name: str) -> None: ...
    async def set_membership(self, course_id: UUID, user_id: UUID, role: str) -> None: ...
    async def remove_membership(self, course_id: UUID, user_id: UUID) -> None: ...
    async def set_parent_link(self, course_id: UUID, parent_id: UUID, student_id: UUID) -> None: ...
    async def remove_parent_links(self, course_id: UUID, parent_id: UUID) -> None: ...
    async def audience(self, course_id: UUID, roles: Sequence[str]) -> list[UUID]:
        """The course's members in these roles, by id (a stable order: chunks are reproducible)."""
        ...

    async def add_notifications(
        self, ids: Sequence[UUID], users: Sequence[UUID], message: dict[str, Any]
    ) -> int:
        """One notification per (id, user) with `message`'s kind, title, body, data, category and
        priority; an id already stored is skipped. How many were added."""
        ...

    async def add_notification(
        self, user_id: UUID, kind: str, title: str, body: str, data: dict[str, Any]
    ) -> None: ...
    async def list_inbox(self, user_id: UUID, limit: int) -> Sequence[Any]:
        """The user's newest notifications first."""
        ...

    async def mark_read(self, user_id: UUID, notification_id: UUID) -> bool:
        """False when the user has no such notification."""
        ...


Uow = UnitOfWork[NotifierStore]
Units = UnitsOfWork[NotifierStore]

"""The notifier's repository on one unit of work's session. Implements usecases.ports.NotifierStore."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.ids import new_id
from notifier.adapters.db.tables import memberships, notifications, recipients


class SqlNotifierStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert_recipient(self, user_id: UUID, email: str, name: str) -> None:
        person = {"email": email, "name": name}
        await self._session.execute(
            pg_insert(recipients)
            .values(user_id=user_id, **person)
            .on_conflict_do_update(index_elements=[recipients.c.user_id], set_=person)
        )

    async def set_membership(self, course_id: UUID, user_id: UUID, role: str) -> None:
        await self._session.execute(
            pg_insert(memberships)
            .values(course_id=course_id, user_id=user_id, role=role)
            .on_conflict_do_update(
                index_elements=[memberships.c.course_id, memberships.c.user_id], set_={"role": role}
            )
        )

    async def remove_membership(self, course_id: UUID, user_id: UUID) -> None:
        await self._session.execute(
            memberships.delete().where(memberships.c.course_id == course_id, memberships.c.user_id == user_id)
        )

    async def add_notification(
        self, user_id: UUID, kind: str, title: str, body: str, data: dict[str, Any]
    ) -> None:
        await self._session.execute(
            notifications.insert().values(
                id=new_id(), user_id=user_id, kind=kind, title=title, body=body, data=data
            )
        )

    async def list_inbox(self, user_id: UUID, limit: int) -> Sequence[Row[Any]]:
        stmt = (
            select(notifications)
            .where(notifications.c.user_id == user_id)
            .order_by(notifications.c.created_at.desc())
            .limit(limit)
        )
        return (await self._session.execute(stmt)).all()

    async def mark_read(self, user_id: UUID, notification_id: UUID) -> bool:
        result = await self._session.execute(
            update(notifications)
            .where(notifications.c.id == notification_id, notifications.c.user_id == user_id)
            .values(read_at=func.coalesce(notifications.c.read_at, func.now()))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

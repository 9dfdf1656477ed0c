"""The notifier's repository on one unit of work's session. Implements usecases.ports.NotifierStore."""

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.ids import new_id
from notifier.adapters.db.tables import memberships, notifications, parent_links, recipients

# Many notifications in one statement: arrays of ids and recipients, the rest shared; a row that
# exists already (a redelivered chunk) is skipped.
_ADD_MANY = text(
    "INSERT INTO notifier.notifications (id, user_id, kind, title, body, data, category, priority) "
    "SELECT n.id, n.user_id, :kind, :title, :body, CAST(:data AS jsonb), :category, :priority "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:users AS uuid[])) AS n(id, user_id) "
    "ON CONFLICT (id) DO NOTHING"
)


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

    async def set_parent_link(self, course_id: UUID, parent_id: UUID, student_id: UUID) -> None:
        await self._session.execute(
            pg_insert(parent_links)
            .values(course_id=course_id, parent_id=parent_id, student_id=student_id)
            .on_conflict_do_nothing()
        )

    async def remove_parent_links(self, course_id: UUID, parent_id: UUID) -> None:
        await self._session.execute(
            parent_links.delete().where(
                parent_links.c.course_id == course_id, parent_links.c.parent_id == parent_id
            )
        )

    async def audience(self, course_id: UUID, roles: Sequence[str]) -> list[UUID]:
        stmt = (
            select(memberships.c.user_id)
            .where(memberships.c.course_id == course_id, memberships.c.role.in_(roles))
            .order_by(memberships.c.user_id)
        )
        return list((await self._session.scalars(stmt)).all())

    async def add_notifications(
        self, ids: Sequence[UUID], users: Sequence[UUID], message: dict[str, Any]
    ) -> int:
        result = await self._session.execute(
            _ADD_MANY,
            {"ids": list(ids), "users": list(users), **message, "data": json.dumps(message["data"])},
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

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

"""The notifier's repository on one unit of work's session. Implements usecases.ports.NotifierStore."""

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.ids import new_id
from notifier.adapters.db.tables import (
    memberships,
    notifications,
    parent_links,
    preferences,
    recipients,
    webhooks,
)

# A chunk's notifications in one statement: arrays of ids and recipients, the rest shared; a row
# that exists already (a chunk delivered again) is skipped, and so are its deliveries: they are
# staged only for the rows this statement wrote — an email, and a call to each of the recipient's
# webhooks — unless the recipient turned that channel off for the category.
_ADD_MANY = text(
    "WITH added AS ("
    " INSERT INTO notifier.notifications (id, user_id, kind, title, body, data, category, priority)"
    " SELECT n.id, n.user_id, :kind, :title, :body, CAST(:data AS jsonb), :category, :priority"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:users AS uuid[])) AS n(id, user_id)"
    " ON CONFLICT (id) DO NOTHING RETURNING id, user_id), "
    # A delivery's id is derived from its notification and its channel (and endpoint): the same
    # however often it is staged.
    "emails AS ("
    " INSERT INTO notifier.deliveries (id, notification_id, channel, address)"
    " SELECT CAST(md5(added.id::text || 'email') AS uuid), added.id, 'email', r.email"
    " FROM added JOIN notifier.recipients r ON r.user_id = added.user_id"
    " WHERE NOT EXISTS (SELECT 1 FROM notifier.preferences p WHERE p.user_id = added.user_id"
    "  AND p.channel = 'email' AND p.category = :category AND NOT p.enabled)"
    " ON CONFLICT (id) DO NOTHING) "
    "INSERT INTO notifier.deliveries (id, notification_id, channel, address, webhook_id) "
    "SELECT CAST(md5(added.id::text || w.id::text) AS uuid), added.id, 'webhook', w.url, w.id "
    "FROM added JOIN notifier.webhooks w ON w.user_id = added.user_id "
    "WHERE NOT EXISTS (SELECT 1 FROM notifier.preferences p WHERE p.user_id = added.user_id"
    " AND p.channel = 'webhook' AND p.category = :category AND NOT p.enabled) "
    "ON CONFLICT (id) DO NOTHING"
)

# Members (one enrollment, or a roster's thousand) in three statements, however many there are.
_UPSERT_RECIPIENTS = text(
    "INSERT INTO notifier.recipients (user_id, email, name) "
    "SELECT * FROM unnest(CAST(:users AS uuid[]), CAST(:emails AS text[]), CAST(:names AS text[])) "
    "ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, updated_at = now()"
)
_UPSERT_MEMBERSHIPS = text(
    "INSERT INTO notifier.memberships (course_id, user_id, role) "
    "SELECT CAST(:course AS uuid), * FROM unnest(CAST(:users AS uuid[]), CAST(:roles AS text[])) "
    "ON CONFLICT (course_id, user_id) DO UPDATE SET role = EXCLUDED.role"
)
_ADD_LINKS = text(
    "INSERT INTO notifier.parent_links (course_id, parent_id, student_id) "
    "SELECT CAST(:course AS uuid), * FROM unnest(CAST(:parents AS uuid[]), CAST(:students AS uuid[])) "
    "ON CONFLICT DO NOTHING"
)

# Due deliveries of a channel, taken for a lease: a sender that dies mid-batch leaves them to be
# taken again once the lease runs out (SKIP LOCKED: several replicas share the work).
_CLAIM = text(
    "WITH due AS (SELECT id FROM notifier.deliveries WHERE channel = :channel AND state = 'pending'"
    " AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED) "
    "UPDATE notifier.deliveries d SET attempts = d.attempts + 1,"
    " next_attempt_at = now() + make_interval(secs => CAST(:lease AS float8)) "
    "FROM due, notifier.notifications n "
    "WHERE d.id = due.id AND n.id = d.notification_id "
    "RETURNING d.id, d.address, d.attempts, d.webhook_id, n.id AS notification_id, n.user_id, n.title,"
    " n.body, n.kind, n.category, n.priority, n.data, n.created_at,"
    " (SELECT secret FROM notifier.webhooks WHERE id = d.webhook_id) AS secret"
)
_SENT = text(
    "UPDATE notifier.deliveries SET state = 'sent', sent_at = now(), last_error = NULL WHERE id = ANY(:ids)"
)
_RETRY = text(
    "UPDATE notifier.deliveries d SET next_attempt_at = now() + make_interval(secs => u.delay),"
    " last_error = u.error FROM unnest(CAST(:ids AS uuid[]), CAST(:delays AS float8[]),"
    " CAST(:errors AS text[])) AS u(id, delay, error) WHERE d.id = u.id"
)
_FAILED = text(
    "UPDATE notifier.deliveries d SET state = 'failed', last_error = u.error"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:errors AS text[])) AS u(id, error) WHERE d.id = u.id"
)


class SqlNotifierStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert_members(self, course_id: UUID, members: Sequence[Any]) -> None:
        users = [m.user_id for m in members]
        people = {"users": users, "emails": [m.email for m in members], "names": [m.name for m in members]}
        await self._session.execute(_UPSERT_RECIPIENTS, people)
        roles = {"course": course_id, "users": users, "roles": [m.role for m in members]}
        await self._session.execute(_UPSERT_MEMBERSHIPS, roles)
        links = [(m.user_id, m.follows) for m in members if m.role == "parent" and m.follows is not None]
        if links:
            parents, students = (list(c) for c in zip(*links, strict=True))
            await self._session.execute(
                _ADD_LINKS, {"course": course_id, "parents": parents, "students": students}
            )

    async def remove_membership(self, course_id: UUID, user_id: UUID) -> None:
        await self._session.execute(
            memberships.delete().where(memberships.c.course_id == course_id, memberships.c.user_id == user_id)
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

    async def add_notifications(self, rows: Sequence[tuple[UUID, UUID]], message: dict[str, Any]) -> None:
        ids, users = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [])
        params = {"ids": ids, "users": users, **message, "data": json.dumps(message["data"])}
        await self._session.execute(_ADD_MANY, params)

    async def claim_due(self, channel: str, limit: int, lease_seconds: float) -> Sequence[Row[Any]]:
        params = {"channel": channel, "limit": limit, "lease": lease_seconds}
        return (await self._session.execute(_CLAIM, params)).all()

    async def settle(
        self,
        sent: Sequence[UUID],
        retry: Sequence[tuple[UUID, float, str]],
        failed: Sequence[tuple[UUID, str]],
    ) -> None:
        if sent:
            await self._session.execute(_SENT, {"ids": list(sent)})
        if retry:
            ids, delays, errors = (list(c) for c in zip(*retry, strict=True))
            await self._session.execute(_RETRY, {"ids": ids, "delays": delays, "errors": errors})
        if failed:
            ids, errors = (list(c) for c in zip(*failed, strict=True))
            await self._session.execute(_FAILED, {"ids": ids, "errors": errors})

    async def is_recipient(self, user_id: UUID) -> bool:
        found = await self._session.scalar(
            select(recipients.c.user_id).where(recipients.c.user_id == user_id)
        )
        return found is not None

    async def add_webhook(self, user_id: UUID, url: str, secret: str) -> Row[Any]:
        stmt = (
            insert(webhooks).values(id=new_id(), user_id=user_id, url=url, secret=secret).returning(webhooks)
        )
        row: Row[Any] = (await self._session.execute(stmt)).one()
        return row

    async def list_webhooks(self, user_id: UUID) -> Sequence[Row[Any]]:
        stmt = select(webhooks).where(webhooks.c.user_id == user_id).order_by(webhooks.c.created_at)
        return (await self._session.execute(stmt)).all()

    async def set_preference(self, user_id: UUID, channel: str, category: str, enabled: bool) -> None:
        await self._session.execute(
            pg_insert(preferences)
            .values(user_id=user_id, channel=channel, category=category, enabled=enabled)
            .on_conflict_do_update(
                index_elements=[preferences.c.user_id, preferences.c.channel, preferences.c.category],
                set_={"enabled": enabled},
            )
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

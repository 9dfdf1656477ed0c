"""The notifier's repositories on one unit of work's session: the protocols of usecases.ports, one
class an aggregate."""

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import Row, TextClause, delete, func, insert, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.ids import new_id
from notifier.adapters.db.due import DUE_CHANNEL
from notifier.adapters.db.feed import FEED_CHANNEL
from notifier.adapters.db.tables import (
    course_events,
    courses,
    deliveries,
    memberships,
    notifications,
    parent_links,
    preferences,
    recipients,
    webhooks,
)
from notifier.domain.records import Failed, Retry

# A chunk's notifications in one statement: arrays of ids and recipients, the rest shared; a row
# that exists already (a chunk delivered again) is skipped, and so are its deliveries: they are
# staged only for the rows this statement wrote — an email (or, low-priority for a user who chose
# the digest, a place in the digest due when the window closes), and a call to each of the
# recipient's webhooks — unless the recipient turned that channel off for the category. Last, the
# rows written are announced (NOTIFY, sent at commit: only what committed) to every replica's live
# streams, a hundred "user:notification" pairs a notice (a notice holds at most 8,000 bytes), and
# each channel given deliveries due now to every replica's dispatchers (DUE_CHANNEL).
_ADD_MANY = text(
    "WITH added AS ("
    " INSERT INTO notifier.notifications (id, user_id, kind, title, body, data, category, priority)"
    " SELECT n.id, n.user_id, :kind, :title, :body, CAST(:data AS jsonb), :category, :priority"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:users AS uuid[])) AS n(id, user_id)"
    " ON CONFLICT (id) DO NOTHING RETURNING id, user_id), "
    # A delivery's id is derived from its notification and its channel (and endpoint): the same
    # however often it is staged.
    "emails AS ("
    " INSERT INTO notifier.deliveries (id, notification_id, channel, address, next_attempt_at)"
    " SELECT CAST(md5(added.id::text || 'email') AS uuid), added.id, d.channel, r.email,"
    "  CASE d.channel WHEN 'digest' THEN date_bin(make_interval(secs => :window),"
    "   now(), TIMESTAMPTZ '2001-01-01') + make_interval(secs => :window) ELSE now() END"
    " FROM added JOIN notifier.recipients r ON r.user_id = added.user_id,"
    "  LATERAL (SELECT CASE WHEN r.digest AND :priority = 'low' THEN 'digest' ELSE 'email' END) AS d(channel)"
    " WHERE NOT EXISTS (SELECT 1 FROM notifier.preferences p WHERE p.user_id = added.user_id"
    "  AND p.channel = 'email' AND p.category = :category AND NOT p.enabled)"
    " ON CONFLICT (id) DO NOTHING RETURNING channel), "
    "calls AS ("
    " INSERT INTO notifier.deliveries (id, notification_id, channel, address, webhook_id)"
    " SELECT CAST(md5(added.id::text || w.id::text) AS uuid), added.id, 'webhook', w.url, w.id"
    " FROM added JOIN notifier.webhooks w ON w.user_id = added.user_id"
    " WHERE NOT EXISTS (SELECT 1 FROM notifier.preferences p WHERE p.user_id = added.user_id"
    "  AND p.channel = 'webhook' AND p.category = :category AND NOT p.enabled)"
    " ON CONFLICT (id) DO NOTHING RETURNING channel) "
    "SELECT (SELECT count(pg_notify(:feed, pairs)) FROM ("
    " SELECT string_agg(user_id::text || ':' || id::text, ',') AS pairs"
    " FROM (SELECT id, user_id, (row_number() OVER ()) / 100 AS notice FROM added) AS numbered"
    " GROUP BY notice) AS notices)"
    " + (SELECT count(pg_notify(:due, channel)) FROM (SELECT DISTINCT channel FROM"
    " (SELECT channel FROM emails UNION ALL SELECT channel FROM calls) AS staged"
    " WHERE channel <> 'digest') AS channels)"
)

# Members (one enrollment, or a roster's thousand) in three statements, however many there are.
# Operators' recipient ids are derived from their address or URL in this namespace.
OPERATORS = UUID("6f1d3c2e-9a4b-4e0f-8b7a-0c5d2e1f3a49")
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

# A course's fan-outs and its enrollments, one at a time (for the transaction's length): either
# the event's audience includes the new member, or the member's arrival sees the event.
_LOCK_COURSE = text("SELECT pg_advisory_xact_lock(hashtextextended(:course, 0))")

# The parents who follow a student in a course whose grades reach them too.
_PARENTS_TOLD = text(
    "SELECT l.parent_id FROM notifier.parent_links l JOIN notifier.courses c ON c.course_id = l.course_id "
    "WHERE l.course_id = :course AND l.student_id = :student AND c.grades_to_parents ORDER BY l.parent_id"
)


# Due deliveries of a channel, taken for a lease: a sender that dies mid-batch leaves them to be
# taken again once the lease runs out (SKIP LOCKED: several replicas share the work). A digest's
# are taken by address, so that one user's items come in one batch, as one mail.
def _claim(order: str) -> TextClause:
    return text(
        "WITH due AS (SELECT id FROM notifier.deliveries WHERE channel = :channel AND state = 'pending'"
        f" AND next_attempt_at <= now() ORDER BY {order} LIMIT :limit FOR UPDATE SKIP LOCKED) "
        "UPDATE notifier.deliveries d SET attempts = d.attempts + 1,"
        " next_attempt_at = now() + make_interval(secs => CAST(:lease AS float8)) "
        "FROM due, notifier.notifications n "
        "WHERE d.id = due.id AND n.id = d.notification_id "
        "RETURNING d.id, d.address, d.attempts, d.webhook_id, n.id AS notification_id, n.user_id, n.title,"
        " n.body, n.kind, n.category, n.priority, n.data, n.created_at,"
        " (SELECT secret FROM notifier.webhooks WHERE id = d.webhook_id) AS secret"
    )


_CLAIM = _claim("next_attempt_at")
_CLAIM_DIGEST = _claim("next_attempt_at, address, id")
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


class _Repository:
    """A repository on one unit of work's session."""

    def __init__(self, session: AsyncSession, digest_window_seconds: float = 3600.0) -> None:
        self._session = session
        self._digest_window = digest_window_seconds


class SqlPeople(_Repository):
    """The notifier's copy of courses, their members (recipients, parents, operators) and events."""

    async def upsert_members(self, course_id: UUID, members: Sequence[Any]) -> None:
        # A parent of several children is a member per child: one recipient, one membership.
        unique = list({m.user_id: m for m in members}.values())
        users = [m.user_id for m in unique]
        people = {"users": users, "emails": [m.email for m in unique], "names": [m.name for m in unique]}
        await self._session.execute(_UPSERT_RECIPIENTS, people)
        roles = {"course": course_id, "users": users, "roles": [m.role for m in unique]}
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

    async def lock_course(self, course_id: UUID) -> None:
        await self._session.execute(_LOCK_COURSE, {"course": str(course_id)})

    async def record_course_event(
        self,
        event_id: UUID,
        course_id: UUID,
        audience: str,
        published_at: datetime,
        message: Mapping[str, Any],
    ) -> None:
        await self._session.execute(
            pg_insert(course_events)
            .values(
                event_id=event_id,
                course_id=course_id,
                audience=audience,
                published_at=published_at,
                message=message,
            )
            .on_conflict_do_nothing()
        )

    async def course_events_since(self, course_id: UUID, since: datetime) -> Sequence[Row[Any]]:
        e = course_events.c
        stmt = (
            select(course_events)
            .where(e.course_id == course_id, e.published_at >= since)
            .order_by(e.published_at)
        )
        return (await self._session.execute(stmt)).all()

    async def upsert_course(self, course_id: UUID, grades_to_parents: bool) -> None:
        await self._session.execute(
            pg_insert(courses)
            .values(course_id=course_id, grades_to_parents=grades_to_parents)
            .on_conflict_do_update(
                index_elements=[courses.c.course_id], set_={"grades_to_parents": grades_to_parents}
            )
        )

    async def parents_told_of_grades(self, course_id: UUID, student_id: UUID) -> list[UUID]:
        return list(
            (await self._session.scalars(_PARENTS_TOLD, {"course": course_id, "student": student_id})).all()
        )

    async def recipient_name(self, user_id: UUID) -> str | None:
        name: str | None = await self._session.scalar(
            select(recipients.c.name).where(recipients.c.user_id == user_id)
        )
        return name

    async def is_recipient(self, user_id: UUID, lock: bool = False) -> bool:
        stmt = select(recipients.c.user_id).where(recipients.c.user_id == user_id)
        found = await self._session.scalar(stmt.with_for_update() if lock else stmt)
        return found is not None

    async def upsert_operators(
        self, emails: Sequence[str], hook_urls: Sequence[str], webhook_secret: str | None
    ) -> list[UUID]:
        """A recipient per address, and one per webhook URL (with email off for alerts): an
        operator no longer configured is simply not notified."""
        people = [(uuid5(OPERATORS, f"email:{a}"), a, "Operator") for a in emails]
        hooks = [(uuid5(OPERATORS, f"webhook:{url}"), url) for url in hook_urls] if webhook_secret else []
        people += [(user, "operators@invalid", "Operators' webhook") for user, _ in hooks]
        if not people:
            return []
        users, addresses, names = (list(c) for c in zip(*people, strict=True))
        await self._session.execute(_UPSERT_RECIPIENTS, {"users": users, "emails": addresses, "names": names})
        for user, url in hooks:
            await SqlPreferences(self._session).set_preference(user, "email", "alert", False)
            stmt = pg_insert(webhooks).values(id=user, user_id=user, url=url, secret=webhook_secret)
            await self._session.execute(
                stmt.on_conflict_do_update(index_elements=["id"], set_={"secret": stmt.excluded.secret})
            )
        return users


class SqlInbox(_Repository):
    """Notifications, each staged with its deliveries, and a user's inbox of them."""

    async def add_notifications(self, rows: Sequence[tuple[UUID, UUID]], message: Mapping[str, Any]) -> None:
        ids, users = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [])
        params = {
            "ids": ids,
            "users": users,
            **message,
            "data": json.dumps(message["data"]),
            "window": self._digest_window,
            "feed": FEED_CHANNEL,
            "due": DUE_CHANNEL,
        }
        await self._session.execute(_ADD_MANY, params)

    async def inbox_page(
        self, user_id: UUID, limit: int, before: tuple[datetime, UUID] | None, unread_only: bool
    ) -> Sequence[Row[Any]]:
        n = notifications.c
        stmt = select(notifications).where(n.user_id == user_id)
        if before is not None:
            stmt = stmt.where(tuple_(n.created_at, n.id) < tuple_(*before))
        if unread_only:
            stmt = stmt.where(n.read_at.is_(None))
        stmt = stmt.order_by(n.created_at.desc(), n.id.desc()).limit(limit)
        return (await self._session.execute(stmt)).all()

    async def inbox_since(
        self, user_id: UUID, after: tuple[datetime, UUID], limit: int
    ) -> Sequence[Row[Any]]:
        n = notifications.c
        stmt = (
            select(notifications)
            .where(n.user_id == user_id, tuple_(n.created_at, n.id) > tuple_(*after))
            .order_by(n.created_at, n.id)
            .limit(limit)
        )
        return (await self._session.execute(stmt)).all()

    async def unread_count(self, user_id: UUID) -> int:
        n = notifications.c
        count = await self._session.scalar(
            select(func.count()).where(n.user_id == user_id, n.read_at.is_(None))
        )
        return int(count or 0)

    async def mark_all_read(self, user_id: UUID) -> int:
        n = notifications.c
        result = await self._session.execute(
            update(notifications).where(n.user_id == user_id, n.read_at.is_(None)).values(read_at=func.now())
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def mark_read(self, user_id: UUID, notification_id: UUID) -> bool:
        result = await self._session.execute(
            update(notifications)
            .where(notifications.c.id == notification_id, notifications.c.user_id == user_id)
            .values(read_at=func.coalesce(notifications.c.read_at, func.now()))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlOutgoing(_Repository):
    """Deliveries due on a channel, taken for a lease, and the other end's answers recorded."""

    async def claim_due(self, channel: str, limit: int, lease_seconds: float) -> Sequence[Row[Any]]:
        params = {"channel": channel, "limit": limit, "lease": lease_seconds}
        claim = _CLAIM_DIGEST if channel == "digest" else _CLAIM
        return (await self._session.execute(claim, params)).all()

    async def settle(self, sent: Sequence[UUID], retry: Sequence[Retry], failed: Sequence[Failed]) -> None:
        if sent:
            await self._session.execute(_SENT, {"ids": list(sent)})
        if retry:
            ids, delays, errors = (list(c) for c in zip(*retry, strict=True))
            await self._session.execute(_RETRY, {"ids": ids, "delays": delays, "errors": errors})
        if failed:
            ids, errors = (list(c) for c in zip(*failed, strict=True))
            await self._session.execute(_FAILED, {"ids": ids, "errors": errors})


class SqlPreferences(_Repository):
    """What each user wants by channel and category, and the digest."""

    async def set_preference(self, user_id: UUID, channel: str, category: str, enabled: bool) -> None:
        await self._session.execute(
            pg_insert(preferences)
            .values(user_id=user_id, channel=channel, category=category, enabled=enabled)
            .on_conflict_do_update(
                index_elements=[preferences.c.user_id, preferences.c.channel, preferences.c.category],
                set_={"enabled": enabled},
            )
        )

    async def preferences(self, user_id: UUID) -> tuple[bool, dict[tuple[str, str], bool]]:
        digest = await self._session.scalar(
            select(recipients.c.digest).where(recipients.c.user_id == user_id)
        )
        p = preferences.c
        rows = await self._session.execute(
            select(p.channel, p.category, p.enabled).where(p.user_id == user_id)
        )
        return bool(digest), {(r.channel, r.category): r.enabled for r in rows}

    async def set_digest(self, user_id: UUID, digest: bool) -> None:
        await self._session.execute(
            update(recipients).where(recipients.c.user_id == user_id).values(digest=digest)
        )


class SqlWebhooks(_Repository):
    """A user's webhook endpoints."""

    async def delete_webhook(self, user_id: UUID, webhook_id: UUID) -> bool:
        """Its pending deliveries failed, every delivery unlinked from it, then the endpoint gone."""
        mine = await self._session.scalar(
            select(webhooks.c.id).where(webhooks.c.id == webhook_id, webhooks.c.user_id == user_id)
        )
        if mine is None:
            return False
        d = deliveries.c
        await self._session.execute(
            update(deliveries)
            .where(d.webhook_id == webhook_id, d.state == "pending")
            .values(state="failed", last_error="the endpoint was deleted")
        )
        await self._session.execute(
            update(deliveries).where(d.webhook_id == webhook_id).values(webhook_id=None)
        )
        await self._session.execute(delete(webhooks).where(webhooks.c.id == webhook_id))
        return True

    async def add_webhook(self, user_id: UUID, url: str, secret: str) -> Row[Any]:
        stmt = (
            insert(webhooks).values(id=new_id(), user_id=user_id, url=url, secret=secret).returning(webhooks)
        )
        row: Row[Any] = (await self._session.execute(stmt)).one()
        return row

    async def list_webhooks(self, user_id: UUID) -> Sequence[Row[Any]]:
        stmt = select(webhooks).where(webhooks.c.user_id == user_id).order_by(webhooks.c.created_at)
        return (await self._session.execute(stmt)).all()

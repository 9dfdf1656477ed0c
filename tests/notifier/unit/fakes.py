"""The notifier's store in memory, with the semantics the use cases rely on (a notification id
stored twice is kept once; the audience in id order)."""

import itertools
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from notifier.domain.records import Failed, Retry
from tests.support.fakes import record


class FakeNotifierStore:
    def __init__(self) -> None:
        self.recipients: dict[UUID, Any] = {}
        self.memberships: dict[tuple[UUID, UUID], str] = {}
        self.links: set[tuple[UUID, UUID, UUID]] = set()
        self.notifications: list[Any] = []
        self.deliveries: dict[UUID, Any] = {}
        self.webhooks: list[Any] = []
        self.choices: dict[tuple[UUID, str, str], bool] = {}
        self.courses: dict[UUID, bool] = {}
        self.course_events: dict[UUID, Any] = {}
        self.locked: list[UUID] = []
        self._tick = itertools.count()

    async def upsert_members(self, course_id: UUID, members: Sequence[Any]) -> None:
        for m in members:
            known = self.recipients.get(m.user_id)
            digest = known.digest if known else False
            self.recipients[m.user_id] = record(user_id=m.user_id, email=m.email, name=m.name, digest=digest)
            self.memberships[(course_id, m.user_id)] = m.role
            if m.role == "parent" and m.follows is not None:
                self.links.add((course_id, m.user_id, m.follows))

    async def remove_membership(self, course_id: UUID, user_id: UUID) -> None:
        self.memberships.pop((course_id, user_id), None)

    async def remove_parent_links(self, course_id: UUID, parent_id: UUID) -> None:
        self.links = {link for link in self.links if link[:2] != (course_id, parent_id)}

    async def audience(self, course_id: UUID, roles: Sequence[str]) -> list[UUID]:
        return sorted(u for (c, u), role in self.memberships.items() if c == course_id and role in roles)

    async def add_notifications(self, rows: Sequence[tuple[UUID, UUID]], message: dict[str, Any]) -> None:
        known = {n.id for n in self.notifications}
        for note, user in rows:
            if note in known:
                continue
            created = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(microseconds=next(self._tick))
            self.notifications.append(
                record(id=note, user_id=user, read_at=None, created_at=created, **message)
            )
            opted_out = self.choices.get((user, "email", message["category"])) is False
            if not opted_out and user in self.recipients:
                delivery = uuid.uuid5(note, "email")
                digest = self.recipients[user].digest and message["priority"] == "low"
                self.deliveries[delivery] = record(
                    id=delivery, notification_id=note, address=self.recipients[user].email, state="pending",
                    channel="digest" if digest else "email", attempts=0, last_error=None, delay=None,
                    title=message["title"], body=message["body"], created_at=created,
                )  # fmt: skip

    async def claim_due(self, channel: str, limit: int, lease_seconds: float) -> list[Any]:
        due = [d for d in self.deliveries.values() if d.state == "pending" and d.delay is None]
        due = [d for d in due if d.channel == channel][:limit]
        for d in due:
            d.attempts += 1
            d.delay = lease_seconds  # taken: not due again until the lease (or a retry) runs out
        return due

    async def settle(self, sent: Sequence[UUID], retry: Sequence[Retry], failed: Sequence[Failed]) -> None:
        for delivery in sent:
            self.deliveries[delivery].state = "sent"
        for delivery, delay, error in retry:
            self.deliveries[delivery].delay, self.deliveries[delivery].last_error = delay, error
        for delivery, error in failed:
            self.deliveries[delivery].state, self.deliveries[delivery].last_error = "failed", error

    def due_again(self) -> None:
        """The clock past every lease and retry delay."""
        for d in self.deliveries.values():
            d.delay = None

    async def is_recipient(self, user_id: UUID, lock: bool = False) -> bool:
        return user_id in self.recipients

    async def delete_webhook(self, user_id: UUID, webhook_id: UUID) -> bool:
        mine = [h for h in self.webhooks if h.id == webhook_id and h.user_id == user_id]
        self.webhooks = [h for h in self.webhooks if h not in mine]
        return bool(mine)

    async def add_webhook(self, user_id: UUID, url: str, secret: str) -> Any:
        hook = record(id=uuid.uuid4(), user_id=user_id, url=url, secret=secret, created_at=datetime.now(UTC))
        self.webhooks.append(hook)
        return hook

    async def list_webhooks(self, user_id: UUID) -> list[Any]:
        return [h for h in self.webhooks if h.user_id == user_id]

    async def set_preference(self, user_id: UUID, channel: str, category: str, enabled: bool) -> None:
        self.choices[(user_id, channel, category)] = enabled

    async def lock_course(self, course_id: UUID) -> None:
        self.locked.append(course_id)

    async def record_course_event(
        self, event_id: UUID, course_id: UUID, audience: str, published_at: datetime, message: dict[str, Any]
    ) -> None:
        self.course_events.setdefault(
            event_id,
            record(
                event_id=event_id,
                course_id=course_id,
                audience=audience,
                published_at=published_at,
                message=message,
            ),
        )

    async def course_events_since(self, course_id: UUID, since: datetime) -> list[Any]:
        found = [
            e for e in self.course_events.values() if e.course_id == course_id and e.published_at >= since
        ]
        return sorted(found, key=lambda e: e.published_at)

    async def upsert_course(self, course_id: UUID, grades_to_parents: bool) -> None:
        self.courses[course_id] = grades_to_parents

    async def parents_told_of_grades(self, course_id: UUID, student_id: UUID) -> list[UUID]:
        if not self.courses.get(course_id):
            return []
        return sorted(p for c, p, s in self.links if (c, s) == (course_id, student_id))

    async def recipient_name(self, user_id: UUID) -> str | None:
        known = self.recipients.get(user_id)
        return known.name if known else None

    def _own(self, user_id: UUID) -> list[Any]:
        return sorted(
            (n for n in self.notifications if n.user_id == user_id), key=lambda n: (n.created_at, n.id)
        )

    async def inbox_page(
        self, user_id: UUID, limit: int, before: tuple[datetime, UUID] | None, unread_only: bool
    ) -> list[Any]:
        rows = [n for n in reversed(self._own(user_id)) if before is None or (n.created_at, n.id) < before]
        return [n for n in rows if not unread_only or n.read_at is None][:limit]

    async def inbox_since(self, user_id: UUID, after: tuple[datetime, UUID], limit: int) -> list[Any]:
        return [n for n in self._own(user_id) if (n.created_at, n.id) > after][:limit]

    async def unread_count(self, user_id: UUID) -> int:
        return sum(1 for n in self._own(user_id) if n.read_at is None)

    async def mark_all_read(self, user_id: UUID) -> int:
        unread = [n for n in self._own(user_id) if n.read_at is None]
        for n in unread:
            n.read_at = datetime.now(UTC)
        return len(unread)

    async def preferences(self, user_id: UUID) -> tuple[bool, dict[tuple[str, str], bool]]:
        chosen = {(ch, cat): on for (u, ch, cat), on in self.choices.items() if u == user_id}
        return self.recipients[user_id].digest, chosen

    async def set_digest(self, user_id: UUID, digest: bool) -> None:
        self.recipients[user_id].digest = digest

    async def mark_read(self, user_id: UUID, notification_id: UUID) -> bool:
        for n in self.notifications:
            if n.id == notification_id and n.user_id == user_id:
                n.read_at = n.read_at or datetime.now(UTC)
                return True
        return False


class FakeRepos:
    """`NotifierRepos` over one in-memory store (`store`: what tests read and seed)."""

    def __init__(self, store: FakeNotifierStore | None = None) -> None:
        self.store = store or FakeNotifierStore()
        self.people = self.inbox = self.outgoing = self.preferences = self.webhooks = self.store

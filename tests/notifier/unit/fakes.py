"""The notifier's store in memory, with the semantics the use cases rely on (a notification id
stored twice is kept once; the audience in id order)."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tests.support.fakes import record


class FakeNotifierStore:
    def __init__(self) -> None:
        self.recipients: dict[UUID, Any] = {}
        self.memberships: dict[tuple[UUID, UUID], str] = {}
        self.links: set[tuple[UUID, UUID, UUID]] = set()
        self.notifications: list[Any] = []
        self.deliveries: dict[UUID, Any] = {}
        self.webhooks: list[Any] = []
        self.preferences: dict[tuple[UUID, str, str], bool] = {}

    async def upsert_members(self, course_id: UUID, members: Sequence[Any]) -> None:
        for m in members:
            self.recipients[m.user_id] = record(user_id=m.user_id, email=m.email, name=m.name)
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
            self.notifications.append(record(id=note, user_id=user, read_at=None, **message))
            opted_out = self.preferences.get((user, "email", message["category"])) is False
            if not opted_out and user in self.recipients:
                delivery = uuid.uuid5(note, "email")
                self.deliveries[delivery] = record(
                    id=delivery, notification_id=note, address=self.recipients[user].email, state="pending", channel="email",
                    attempts=0, last_error=None, delay=None, title=message["title"], body=message["body"],
                )  # fmt: skip

    async def claim_due(self, channel: str, limit: int, lease_seconds: float) -> list[Any]:
        due = [d for d in self.deliveries.values() if d.state == "pending" and d.delay is None]
        due = [d for d in due if d.channel == channel][:limit]
        for d in due:
            d.attempts += 1
            d.delay = lease_seconds  # taken: not due again until the lease (or a retry) runs out
        return due

    async def settle(
        self,
        sent: Sequence[UUID],
        retry: Sequence[tuple[UUID, float, str]],
        failed: Sequence[tuple[UUID, str]],
    ) -> None:
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

    async def is_recipient(self, user_id: UUID) -> bool:
        return user_id in self.recipients

    async def add_webhook(self, user_id: UUID, url: str, secret: str) -> Any:
        hook = record(id=uuid.uuid4(), user_id=user_id, url=url, secret=secret, created_at=datetime.now(UTC))
        self.webhooks.append(hook)
        return hook

    async def list_webhooks(self, user_id: UUID) -> list[Any]:
        return [h for h in self.webhooks if h.user_id == user_id]

    async def set_preference(self, user_id: UUID, channel: str, category: str, enabled: bool) -> None:
        self.preferences[(user_id, channel, category)] = enabled

    async def add_notification(
        self, user_id: UUID, kind: str, title: str, body: str, data: dict[str, Any]
    ) -> None:
        self.notifications.append(
            record(
                id=uuid.uuid4(), user_id=user_id, kind=kind, title=title, body=body, data=data, read_at=None
            )
        )

    async def list_inbox(self, user_id: UUID, limit: int) -> list[Any]:
        return [n for n in reversed(self.notifications) if n.user_id == user_id][:limit]

    async def mark_read(self, user_id: UUID, notification_id: UUID) -> bool:
        for n in self.notifications:
            if n.id == notification_id and n.user_id == user_id:
                n.read_at = n.read_at or datetime.now(UTC)
                return True
        return False

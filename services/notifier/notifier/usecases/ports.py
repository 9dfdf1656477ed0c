"""What the notifier's use cases need from the outside: its store and the unit of work around it,
and a mailer."""

import asyncio
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from gradeflow_shared.events import Member
from gradeflow_shared.unit_of_work import UnitOfWork, UnitsOfWork
from notifier.domain.delivery import SendResult
from notifier.domain.records import (
    CourseEventSeen,
    DueDelivery,
    Failed,
    Fields,
    NotificationRecord,
    Retry,
    WebhookRecord,
)

Item = TypeVar("Item", contravariant=True)  # what a sender sends: a mail, a webhook call


class People(Protocol):
    """The notifier's copy of courses, their members (recipients, parents, operators) and events."""

    async def upsert_members(self, course_id: UUID, members: Sequence[Member]) -> None:
        """Members (`gradeflow_shared.events.Member`), one or a roster's thousand: recipients,
        memberships and parents' links, in bulk."""
        ...

    async def remove_membership(self, course_id: UUID, user_id: UUID) -> None: ...
    async def remove_parent_links(self, course_id: UUID, parent_id: UUID) -> None: ...
    async def audience(self, course_id: UUID, roles: Sequence[str]) -> list[UUID]:
        """The course's members in these roles, by id (a stable order: chunks are reproducible)."""
        ...

    async def is_recipient(self, user_id: UUID, lock: bool = False) -> bool: ...
    async def lock_course(self, course_id: UUID) -> None:
        """Until the unit ends, the course's fan-outs and enrollments wait for this one."""
        ...

    async def record_course_event(
        self, event_id: UUID, course_id: UUID, audience: str, published_at: datetime, message: Fields
    ) -> None: ...
    async def course_events_since(self, course_id: UUID, since: datetime) -> Sequence[CourseEventSeen]:
        """The course's events fanned out since `since` (event_id, audience, message), oldest first."""
        ...

    async def upsert_course(self, course_id: UUID, grades_to_parents: bool) -> None: ...
    async def parents_told_of_grades(self, course_id: UUID, student_id: UUID) -> list[UUID]:
        """The parents following the student in the course, if the course sends them grades."""
        ...

    async def recipient_name(self, user_id: UUID) -> str | None: ...
    async def upsert_operators(
        self, emails: Sequence[str], webhooks: Sequence[str], webhook_secret: str | None
    ) -> list[UUID]:
        """The operators as recipients (one per address; one holding every webhook, with email off
        for alerts), kept as configured; their ids."""
        ...


class Inbox(Protocol):
    """Notifications, each staged with its deliveries, and a user's inbox of them."""

    async def add_notifications(self, rows: Sequence[tuple[UUID, UUID]], message: Fields) -> None:
        """One notification per (notification id, user) with `message`'s kind, title, body, data,
        category and priority, each with its email and webhook deliveries unless the user turned
        that channel off for the category; an id already stored is skipped, with its deliveries."""
        ...

    async def inbox_page(
        self, user_id: UUID, limit: int, before: tuple[datetime, UUID] | None, unread_only: bool
    ) -> Sequence[NotificationRecord]:
        """The user's notifications older than `before` (created_at, id), newest first."""
        ...

    async def inbox_since(
        self, user_id: UUID, after: tuple[datetime, UUID], limit: int
    ) -> Sequence[NotificationRecord]:
        """The user's notifications newer than `after`, oldest first."""
        ...

    async def unread_count(self, user_id: UUID) -> int: ...
    async def mark_read(self, user_id: UUID, notification_id: UUID) -> bool:
        """False when the user has no such notification."""
        ...

    async def mark_all_read(self, user_id: UUID) -> int: ...


class Outgoing(Protocol):
    """Deliveries due on a channel, taken for a lease, and the other end's answers recorded."""

    async def claim_due(self, channel: str, limit: int, lease_seconds: float) -> Sequence[DueDelivery]:
        """Up to `limit` due deliveries of `channel`, taken for `lease_seconds` (attempts counted),
        each with its notification (id, user, title, body, kind, category, priority, data) and, for
        a webhook, the endpoint's secret."""
        ...

    async def settle(self, sent: Sequence[UUID], retry: Sequence[Retry], failed: Sequence[Failed]) -> None:
        """Sent; due again after a delay (seconds), with the error; failed for good, with it."""
        ...


class Preferences(Protocol):
    """What each user wants by channel and category, and the digest."""

    async def set_preference(self, user_id: UUID, channel: str, category: str, enabled: bool) -> None: ...
    async def preferences(self, user_id: UUID) -> tuple[bool, dict[tuple[str, str], bool]]:
        """Whether the user takes the digest, and each (channel, category) they chose."""
        ...

    async def set_digest(self, user_id: UUID, digest: bool) -> None: ...


class Webhooks(Protocol):
    """A user's webhook endpoints."""

    async def add_webhook(self, user_id: UUID, url: str, secret: str) -> WebhookRecord: ...
    async def delete_webhook(self, user_id: UUID, webhook_id: UUID) -> bool: ...
    async def list_webhooks(self, user_id: UUID) -> Sequence[WebhookRecord]: ...


@dataclass(frozen=True)
class NotifierRepos:
    """The notifier's repositories, all on one unit of work's transaction."""

    people: People
    inbox: Inbox
    outgoing: Outgoing
    preferences: Preferences
    webhooks: Webhooks


class Sender(Protocol[Item]):
    async def send(
        self, items: Sequence[Item], on_sent: Callable[[int], None] | None = None
    ) -> list[SendResult]:
        """Each item's result, in order (mails, webhook calls); never raises for the other end's
        answer. `on_sent(i)` is told as soon as the other end has accepted item `i`, before the
        rest are done, so it can be recorded at once."""
        ...


Uow = UnitOfWork[NotifierRepos]
Units = UnitsOfWork[NotifierRepos]


class InboxFeed(Protocol):
    def subscribe(
        self, user_id: UUID
    ) -> AbstractAsyncContextManager[asyncio.Queue[list[NotificationRecord] | None]]:
        """News for one user's live stream: the notifications written for them (rows with the
        notifications' columns), or None when some may have been missed (catch up from the store)."""
        ...


class TargetGuard(Protocol):
    async def refusal(self, url: str) -> str | None:
        """Why a webhook may not call `url` (a private address, a scheme other than http(s))."""
        ...

"""What a stored row holds, as the notifier's use cases read it: one protocol a kind, which the
repositories' rows (a database row, a fake's record) satisfy by their attributes."""

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol
from uuid import UUID

from gradeflow_shared.events import Audience

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
Fields = Mapping[str, object]  # a message's columns (kind, title, body, category, priority, data)
Retry = tuple[UUID, float, str]  # a delivery due again after a delay (seconds), and why
Failed = tuple[UUID, str]  # a delivery failed for good, and why


class NotificationRecord(Protocol):
    id: UUID
    user_id: UUID
    kind: str
    title: str
    body: str
    data: dict[str, JsonValue]
    created_at: datetime
    read_at: datetime | None
    category: str | None
    priority: str | None


class DueDelivery(Protocol):
    """A delivery taken for a lease (this attempt counted), with its notification."""

    id: UUID
    address: str
    attempts: int
    webhook_id: UUID | None
    notification_id: UUID
    user_id: UUID
    title: str
    body: str
    kind: str
    category: str | None
    priority: str | None
    data: dict[str, JsonValue]
    created_at: datetime
    secret: str | None  # a webhook's signing secret


class CourseEventSeen(Protocol):
    """A course event as the notifier keeps it, for members who join after it."""

    event_id: UUID
    course_id: UUID
    audience: Audience
    published_at: datetime
    message: dict[str, JsonValue]


class WebhookRecord(Protocol):
    id: UUID
    user_id: UUID
    url: str
    secret: str
    created_at: datetime

"""The inbox's HTTP contract: bodies of the notifier's inbox API, which the gateway passes on and
documents at its door. Both import them from here, so the two schemas cannot drift apart."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from gradeflow_shared.events import Category


class NotificationOut(BaseModel):
    id: UUID
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    category: str | None
    priority: str | None
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    items: list[NotificationOut]
    unread: int = Field(description="The user's unread notifications, all pages together")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null: the last")


class MarkedRead(BaseModel):
    marked: int


class ChannelChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["email", "webhook"]
    category: Category
    enabled: StrictBool


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    digest: StrictBool | None = Field(
        default=None, description="Low-priority emails gathered into one a window"
    )
    channels: list[ChannelChoice] = Field(default_factory=list, max_length=100)


class PreferencesOut(BaseModel):
    digest: bool
    channels: list[ChannelChoice]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(
        min_length=1,
        max_length=2048,
        pattern=r"^https?://[^/?#\s]+",
        description="http(s)://host…; private, loopback and link-local addresses are refused",
    )


class WebhookOut(BaseModel):
    id: UUID
    url: str
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Verify each call's signature with it (Standard Webhooks); shown once")

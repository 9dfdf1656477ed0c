"""A user's own inbox: a page at a time (newest first, by cursor) with the unread count, marks,
a live stream of what arrives, and the user's preferences per channel and category."""

from collections import deque
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from gradeflow_shared.events import Category
from notifier.domain.errors import NotFound
from notifier.domain.inbox import decode_cursor, encode_cursor
from notifier.usecases.ports import InboxFeed, Units

CHANNELS = ("email", "webhook")  # the in-app inbox is always on
CATEGORIES: tuple[Category, ...] = ("announcement", "deadline", "exam", "grade")
CATCH_UP_LIMIT = 200  # notifications a stream replays at once after missing news


@dataclass(frozen=True)
class Page:
    items: Sequence[Any]
    unread: int
    next_cursor: str | None


async def page(units: Units, user_id: UUID, limit: int, cursor: str | None, unread_only: bool) -> Page:
    before = decode_cursor(cursor) if cursor else None
    async with units() as uow:
        rows = await uow.repos.inbox.inbox_page(user_id, limit + 1, before, unread_only)
        unread = await uow.repos.inbox.unread_count(user_id)
    more = len(rows) > limit
    items = rows[:limit]
    last = items[-1] if more else None
    return Page(items, unread, encode_cursor(last.created_at, last.id) if last else None)


async def mark_read(units: Units, user_id: UUID, notification_id: UUID) -> None:
    """Only the user's own notification; marking one read twice keeps the first time."""
    async with units() as uow:
        if not await uow.repos.inbox.mark_read(user_id, notification_id):
            raise NotFound("notification not found", field="notification_id")
        await uow.commit()


async def mark_all_read(units: Units, user_id: UUID) -> int:
    async with units() as uow:
        marked = await uow.repos.inbox.mark_all_read(user_id)
        await uow.commit()
    return marked


async def stream(
    units: Units, feed: InboxFeed, user_id: UUID, last_event_id: str | None
) -> AsyncGenerator[tuple[str, str | None, Any]]:
    """(event, id, data): first the unread count and what came after `last_event_id` (a client
    reconnecting), then each notification as it arrives, in the order written."""
    after = decode_cursor(last_event_id, field="Last-Event-ID") if last_event_id else None
    async with feed.subscribe(user_id) as updates:
        async with units() as uow:  # subscribed first: nothing written meanwhile is missed
            unread = await uow.repos.inbox.unread_count(user_id)
            if after is not None:
                missed = await uow.repos.inbox.inbox_since(user_id, after, CATCH_UP_LIMIT)
            else:  # a new stream starts from the newest there is
                missed, newest = [], await uow.repos.inbox.inbox_page(user_id, 1, None, False)
                after = (newest[0].created_at, newest[0].id) if newest else _BEGINNING
        yield "unread", None, {"unread": unread}
        sent: deque[UUID] = deque(maxlen=1000)  # a catch-up may meet what a notice named already
        while True:
            for row in missed:
                if row.id in sent:
                    continue
                sent.append(row.id)
                after = max(after, (row.created_at, row.id))
                yield "notification", encode_cursor(row.created_at, row.id), row
            news = await updates.get()
            if news is not None:
                missed = news
                continue
            async with units() as uow:  # news may have been missed: read what came after the last sent
                missed = await uow.repos.inbox.inbox_since(user_id, after, CATCH_UP_LIMIT)


_BEGINNING = (datetime(1970, 1, 1, tzinfo=UTC), UUID(int=0))


@dataclass(frozen=True)
class Preferences:
    digest: bool
    channels: list[dict[str, Any]]


async def preferences(units: Units, user_id: UUID) -> Preferences:
    async with units() as uow:
        await _require_recipient(uow, user_id)
        digest, chosen = await uow.repos.preferences.preferences(user_id)
    return _view(digest, chosen)


async def set_preferences(
    units: Units, user_id: UUID, digest: bool | None, channels: Sequence[tuple[str, str, bool]]
) -> Preferences:
    async with units() as uow:
        await _require_recipient(uow, user_id)
        for channel, category, enabled in channels:
            await uow.repos.preferences.set_preference(user_id, channel, category, enabled)
        if digest is not None:
            await uow.repos.preferences.set_digest(user_id, digest)
        digest_now, chosen = await uow.repos.preferences.preferences(user_id)
        await uow.commit()
    return _view(digest_now, chosen)


def _view(digest: bool, chosen: dict[tuple[str, str], bool]) -> Preferences:
    """Every channel and category, on unless the user turned it off."""
    channels = [
        {"channel": ch, "category": cat, "enabled": chosen.get((ch, cat), True)}
        for ch in CHANNELS
        for cat in CATEGORIES
    ]
    return Preferences(digest, channels)


async def _require_recipient(uow: Any, user_id: UUID) -> None:
    if not await uow.repos.people.is_recipient(user_id):
        raise NotFound("no notifications reach this user yet: not in any course", field="user_id")

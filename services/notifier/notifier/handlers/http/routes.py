"""The in-app inbox API (served to users through the gateway, with their own bearer token): their
notifications a page at a time, marks, a live stream (Server-Sent Events), their preferences, and
webhook endpoints of their own."""

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sse_starlette import EventSourceResponse, ServerSentEvent

from gradeflow_shared.auth import Tokens
from gradeflow_shared.cursor import CURSOR_PATTERN
from gradeflow_shared.inbox_api import (
    InboxPage,
    MarkedRead,
    NotificationOut,
    PreferencesIn,
    PreferencesOut,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
)
from notifier.usecases import inbox, webhooks
from notifier.usecases.ports import InboxFeed, TargetGuard, Units

router = APIRouter(prefix="/v1", tags=["inbox"])
_bearer = HTTPBearer(auto_error=False)


def _units(request: Request) -> Units:
    units: Units = request.app.state.units
    return units


def _user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> UUID:
    tokens: Tokens = request.app.state.tokens
    return tokens.verify(credentials.credentials if credentials else None)


UnitsDep = Annotated[Units, Depends(_units)]
User = Annotated[UUID, Depends(_user)]


@router.get("/notifications", response_model=InboxPage)
async def list_notifications(
    units: UnitsDep,
    user: User,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
    unread: Annotated[bool, Query(description="Only the unread")] = False,
) -> Any:
    """The user's notifications, newest first, a page at a time."""
    return await inbox.page(units, user, limit, cursor, unread)


@router.get(
    "/notifications/stream",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream_notifications(request: Request, units: UnitsDep, user: User) -> EventSourceResponse:
    """Server-Sent Events: `unread` (the count) at once, then a `notification` event for each new
    one, its `id` a cursor — a client reconnecting with `Last-Event-ID` gets what it missed."""
    feed: InboxFeed = request.app.state.feed
    events = inbox.stream(units, feed, user, request.headers.get("last-event-id"))
    first = await anext(events)  # refusals (a bad Last-Event-ID, too many streams) as plain errors

    async def sse() -> AsyncIterator[ServerSentEvent]:
        try:
            yield _sse(*first)
            async for event, event_id, data in events:
                yield _sse(event, event_id, data)
        finally:  # the client went away: leave the feed now, not when the generator is collected
            await events.aclose()

    return EventSourceResponse(sse(), ping=request.app.state.live_ping_seconds)


def _sse(event: str, event_id: str | None, data: Any) -> ServerSentEvent:
    if event_id is None:
        return ServerSentEvent(data=json.dumps(data), event=event)
    body = NotificationOut.model_validate(data, from_attributes=True).model_dump_json()
    return ServerSentEvent(data=body, event=event, id=event_id)


@router.post("/notifications/read-all", response_model=MarkedRead)
async def mark_all_read(units: UnitsDep, user: User) -> MarkedRead:
    return MarkedRead(marked=await inbox.mark_all_read(units, user))


@router.post("/notifications/{notification_id}/read", status_code=204)
async def mark_read(notification_id: UUID, units: UnitsDep, user: User) -> None:
    await inbox.mark_read(units, user, notification_id)


@router.get("/preferences", response_model=PreferencesOut, tags=["preferences"])
async def get_preferences(units: UnitsDep, user: User) -> Any:
    return await inbox.preferences(units, user)


@router.put("/preferences", response_model=PreferencesOut, tags=["preferences"])
async def put_preferences(body: PreferencesIn, units: UnitsDep, user: User) -> Any:
    """Only what the body names changes; every channel and category not named stays as it was."""
    choices = [(c.channel, c.category, c.enabled) for c in body.channels]
    return await inbox.set_preferences(units, user, body.digest, choices)


def _guard(request: Request) -> TargetGuard:
    guard: TargetGuard = request.app.state.webhook_guard
    return guard


@router.post("/webhooks", status_code=201, response_model=WebhookCreated, tags=["webhooks"])
async def register_webhook(
    body: WebhookIn, units: UnitsDep, user: User, guard: Annotated[TargetGuard, Depends(_guard)]
) -> Any:
    return await webhooks.register_webhook(units, guard, user, body.url)


@router.get("/webhooks", response_model=list[WebhookOut], tags=["webhooks"])
async def list_webhooks(units: UnitsDep, user: User) -> list[Any]:
    return list(await webhooks.list_webhooks(units, user))


@router.delete("/webhooks/{webhook_id}", status_code=204, tags=["webhooks"])
async def delete_webhook(webhook_id: UUID, units: UnitsDep, user: User) -> Response:
    await webhooks.delete_webhook(units, user, webhook_id)
    return Response(status_code=204)

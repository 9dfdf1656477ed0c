"""A user's inbox, preferences and webhooks, served by the notifier through this door: the caller's
token is checked here first (an anonymous request goes no further), the parameters and body
validated against the inbox's contract (gradeflow_shared.inbox_api, which the notifier serves),
then the request is passed on as it came and the notifier's answer passed back."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

import gradeflow_shared.inbox_api as wire
from gateway.handlers.http.deps import User, edge_of
from gateway.usecases.ports import InboxApi
from gradeflow_shared.cursor import CURSOR_PATTERN

router = APIRouter(prefix="/v1", tags=["inbox"])


async def _notifier(request: Request) -> InboxApi:
    notifier: InboxApi = edge_of(request).notifier_api
    return notifier


Notifier = Annotated[InboxApi, Depends(_notifier)]
_STREAM: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}
}


async def _pass_on(request: Request, user: UUID, api: InboxApi) -> Response:
    response: Response = await api.forward(request, user)
    return response


async def _forward(request: Request, user: User, api: Notifier) -> Response:
    return await _pass_on(request, user, api)


# (method, path, summary, tag, answer): each without a body or parameters, passed on as it came.
_PASSED_ON: list[tuple[str, str, str, str, Any]] = [
    (
        "POST",
        "/notifications/read-all",
        "Mark every notification of the caller's read",
        "inbox",
        wire.MarkedRead,
    ),
    (
        "GET",
        "/preferences",
        "The caller's channels per category and digest",
        "preferences",
        wire.PreferencesOut,
    ),
    ("GET", "/webhooks", "The caller's webhook endpoints", "webhooks", list[wire.WebhookOut]),
]
for method, path, summary, tag, answer in _PASSED_ON:
    router.add_api_route(
        path,
        _forward,
        methods=[method],
        summary=summary,
        tags=[tag],
        response_model=answer,
        operation_id=f"{method.lower()}_{path.strip('/').replace('/', '_').replace('-', '_')}",
    )


@router.get(
    "/notifications", response_model=wire.InboxPage, summary="The caller's notifications, newest first"
)
async def list_notifications(
    request: Request,
    user: User,
    api: Notifier,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
    unread: Annotated[bool, Query(description="Only the unread")] = False,
) -> Response:
    return await _pass_on(request, user, api)


@router.get("/notifications/stream", responses=_STREAM, summary="New notifications as they arrive (SSE)")
async def stream_notifications(request: Request, user: User, api: Notifier) -> Response:
    """`unread` (the count) at once, then a `notification` event for each new one, its `id` a
    cursor: a client reconnecting with `Last-Event-ID` gets what it missed."""
    return await _pass_on(request, user, api)


@router.post("/notifications/{notification_id}/read", status_code=204, summary="Mark one notification read")
async def mark_read(notification_id: UUID, request: Request, user: User, api: Notifier) -> Response:
    return await _pass_on(request, user, api)


@router.put("/preferences", response_model=wire.PreferencesOut, tags=["preferences"])
async def put_preferences(body: wire.PreferencesIn, request: Request, user: User, api: Notifier) -> Response:
    """Only what the body names changes; every channel and category not named stays as it was."""
    return await _pass_on(request, user, api)  # the body as it came: validated above, read once


@router.delete("/webhooks/{webhook_id}", status_code=204, tags=["webhooks"])
async def delete_webhook(webhook_id: UUID, request: Request, user: User, api: Notifier) -> Response:
    """The endpoint is called no more (its pending calls fail); only its owner may delete it."""
    return await _pass_on(request, user, api)


@router.post("/webhooks", status_code=201, response_model=wire.WebhookCreated, tags=["webhooks"])
async def register_webhook(body: wire.WebhookIn, request: Request, user: User, api: Notifier) -> Response:
    """Register an endpoint; each call to it is signed per Standard Webhooks with the secret
    shown here once (never cached, never kept for an Idempotency-Key's replay). Private, loopback
    and link-local addresses are refused."""
    response = await _pass_on(request, user, api)
    response.headers["Cache-Control"] = "no-store"
    return response

"""A user's inbox, preferences and webhooks, served by the notifier through this door: the caller's
token is checked here first (an anonymous request goes no further), then the request is passed on
as it came. The notifier's API documents the bodies (its /docs)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from gateway.handlers.http.deps import User
from gateway.usecases.ports import InboxApi

router = APIRouter(prefix="/v1", tags=["inbox"])


def _notifier(request: Request) -> InboxApi:
    api: InboxApi = request.app.state.notifier_api
    return api


Notifier = Annotated[InboxApi, Depends(_notifier)]
_STREAM: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}
}


async def _forward(request: Request, _: User, api: Notifier) -> Response:
    response: Response = await api.forward(request)
    return response


# (method, path, summary, tag): each passed on as it came.
_PASSED_ON = [
    ("GET", "/notifications", "The caller's notifications, newest first, by cursor", "inbox"),
    ("GET", "/notifications/stream", "New notifications as they arrive (SSE)", "inbox"),
    ("POST", "/notifications/read-all", "Mark every notification of the caller's read", "inbox"),
    ("GET", "/preferences", "The caller's channels per category, and the digest", "preferences"),
    ("PUT", "/preferences", "Change channels per category, or the digest", "preferences"),
    ("GET", "/webhooks", "The caller's webhook endpoints", "webhooks"),
    ("POST", "/webhooks", "Register a webhook endpoint (signed per Standard Webhooks)", "webhooks"),
]
for method, path, summary, tag in _PASSED_ON:
    router.add_api_route(
        path,
        _forward,
        methods=[method],
        summary=summary,
        tags=[tag],
        responses=_STREAM if path.endswith("/stream") else None,
        operation_id=f"{method.lower()}_{path.strip('/').replace('/', '_').replace('-', '_')}",
    )


@router.post("/notifications/{notification_id}/read", summary="Mark one notification read")
async def mark_read(notification_id: str, request: Request, _: User, api: Notifier) -> Response:
    response: Response = await api.forward(request)
    return response

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


@router.get("/notifications", summary="The caller's notifications, newest first, by cursor")
async def list_notifications(request: Request, _: User, api: Notifier) -> Response:
    response: Response = await api.forward(request)
    return response


@router.get("/notifications/stream", summary="New notifications as they arrive (SSE)", responses=_STREAM)
async def stream_notifications(request: Request, _: User, api: Notifier) -> Response:
    response: Response = await api.forward(request)
    return response


@router.post("/notifications/read-all", summary="Mark every notification of the caller's read")
async def mark_all_read(request: Request, _: User, api: Notifier) -> Response:
    response: Response = await api.forward(request)
    return response


@router.post("/notifications/{notification_id}/read", summary="Mark one notification read")
async def mark_read(notification_id: str, request: Request, _: User, api: Notifier) -> Response:
    response: Response = await api.forward(request)
    return response


@router.get(
    "/preferences", summary="The caller's channels per category, and the digest", tags=["preferences"]
)
async def get_preferences(request: Request, _: User, api: Notifier) -> Response:
    response: Response = await api.forward(request)
    return response


@router.put("/preferences", summary="Change channels per category, or the digest", tags=["preferences"])
async def put_preferences(request: Request, _: User, api: Notifier) -> Response:
    response: Response = await api.forward(request)
    return response


@router.get("/webhooks", summary="The caller's webhook endpoints", tags=["webhooks"])
async def list_webhooks(request: Request, _: User, api: Notifier) -> Response:
    response: Response = await api.forward(request)
    return response


@router.post(
    "/webhooks", summary="Register a webhook endpoint (signed per Standard Webhooks)", tags=["webhooks"]
)
async def register_webhook(request: Request, _: User, api: Notifier) -> Response:
    response: Response = await api.forward(request)
    return response

"""The in-app inbox API: a user reads their own notifications (bearer token from the gateway), and
registers webhook endpoints of their own."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from gradeflow_shared.auth import Tokens
from notifier.usecases import notify, webhooks
from notifier.usecases.ports import TargetGuard, Units

router = APIRouter(prefix="/v1", tags=["inbox"])
_bearer = HTTPBearer(auto_error=False)


class NotificationOut(BaseModel):
    id: UUID
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


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


@router.get("/notifications", response_model=list[NotificationOut])
async def list_notifications(
    units: UnitsDep, user: User, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[Any]:
    return list(await notify.list_inbox(units, user, limit))


@router.post("/notifications/{notification_id}/read", status_code=204)
async def mark_read(notification_id: UUID, units: UnitsDep, user: User) -> None:
    await notify.mark_read(units, user, notification_id)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, max_length=2048)


class WebhookOut(BaseModel):
    id: UUID
    url: str
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Verify each call's signature with it (Standard Webhooks); shown once")


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

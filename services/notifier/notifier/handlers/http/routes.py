"""The in-app inbox API: a user reads their own notifications (bearer token from the gateway)."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from gradeflow_shared.auth import Tokens
from notifier.usecases import notify
from notifier.usecases.ports import Units

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

"""Operations are for admins: every route of the stats and dead-letter APIs needs a bearer token
carrying the admin role (401 without a valid token, 403 with another's)."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gradeflow_shared.errors import Forbidden
from metrics.handlers.http.edge import edge_of

_bearer = HTTPBearer(auto_error=False)


async def require_admin(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    if not edge_of(request).tokens.caller(credentials.credentials if credentials else None).admin:
        raise Forbidden("operations are for admins", field="Authorization")


Admin = [Depends(require_admin)]

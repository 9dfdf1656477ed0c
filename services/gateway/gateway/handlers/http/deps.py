"""FastAPI dependencies: the use-case context and the authenticated caller, from app state."""

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.domain.errors import TooLarge
from gateway.usecases.ports import Context
from gradeflow_shared.auth import Tokens

_bearer = HTTPBearer(auto_error=False)


async def context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


async def tokens(request: Request) -> Tokens:
    t: Tokens = request.app.state.tokens
    return t


async def current_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> UUID:
    # The issuer straight from app state, not as a dependency of its own: every dependency level
    # is solved per request, and this one is on every authenticated route.
    issuer: Tokens = request.app.state.tokens
    return issuer.verify(credentials.credentials if credentials else None)


Ctx = Annotated[Context, Depends(context)]
User = Annotated[UUID, Depends(current_user)]


async def read_limited(request: Request, limit: int) -> bytes:
    """The request's body, refused (413) past `limit` bytes without reading the rest."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the body is over {limit} bytes", field="body")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is over {limit} bytes", field="body")
        chunks.append(chunk)
    return b"".join(chunks)

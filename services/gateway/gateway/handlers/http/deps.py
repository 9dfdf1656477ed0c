"""FastAPI dependencies, one style: everything the HTTP edge needs is one typed `Edge` (the use
cases' context, who may call, the settings its routes read), kept once on the app; routes take it
and the caller as `Annotated` dependencies (`EdgeOf`, `Ctx`, `User`, `Person`, `Admin`)."""

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from gateway.domain.api_keys import PREFIX as API_KEY_PREFIX
from gateway.domain.errors import Forbidden, TooLarge
from gateway.domain.limits import Rate, route_class
from gateway.usecases.api_keys import KeyChecker
from gateway.usecases.identities import Identities
from gateway.usecases.lti import LtiTool
from gateway.usecases.ports import Context, InboxApi
from gradeflow_shared.auth import Caller, Tokens
from gradeflow_shared.errors import Unauthenticated
from gradeflow_shared.targets import TargetGuard


@dataclass(frozen=True)
class Edge:
    """What the gateway's routes need beside their request."""

    context: Context
    tokens: Tokens
    api_keys: KeyChecker
    identities: Identities
    notifier_api: InboxApi
    callback_guard: TargetGuard  # Judge0 callbacks' targets
    admin_emails: frozenset[str]  # ADMIN_EMAILS: whom the development login makes admins
    callback_tries: int
    callback_timeout_seconds: float
    live_ping_seconds: float
    max_run_backlog: int
    jobe_wait_seconds: float
    jobe_file_ttl_seconds: float
    jobe_max_file_bytes: int
    default_runs_rate: Rate | None  # RATE_LIMITS' runs, which a key's owner may not exceed
    lti: LtiTool
    public_url: str | None  # PUBLIC_URL: how browsers and platforms reach the gateway
    lti_landing_url: str | None  # LTI_LANDING_URL: the school's front end, where a launch lands


def edge_of(request: Request) -> Edge:
    edge: Edge = request.app.state.edge
    return edge


_bearer = HTTPBearer(auto_error=False, description="A user's token (JWT), or an API key")
# Declared as a scheme of its own so the schema lists it as the alternative it is.
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key for an integration")


async def context(request: Request) -> Context:
    return edge_of(request).context


async def tokens(request: Request) -> Tokens:
    return edge_of(request).tokens


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> UUID:
    """The caller: a bearer token's user, or an API key's (`X-API-Key`, or as the bearer token)
    within the key's scopes."""
    presented = credentials.credentials if credentials else None
    return await caller_of(request, presented or api_key)


async def caller_of(request: Request, presented: str | None) -> UUID:
    if presented and presented.startswith(API_KEY_PREFIX):
        checker = edge_of(request).api_keys
        return await checker.user_for(presented, route_class(request.method, request.url.path))
    # The issuer straight from app state, not as a dependency of its own: every dependency level
    # is solved per request, and this one is on every authenticated route.
    issuer = edge_of(request).tokens
    return await _user_of(request, issuer.caller(presented))


async def _user_of(request: Request, caller: Caller) -> UUID:
    """A built-in token names the user; an identity provider's is provisioned at first sight."""
    if caller.built_in:
        return caller.user_id
    identities = edge_of(request).identities
    return await identities.user_for(caller)


async def person(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> UUID:
    """A user by their own token only: what an API key may not do (manage API keys)."""
    presented = credentials.credentials if credentials else None
    if (presented or "").startswith(API_KEY_PREFIX) or request.headers.get("x-api-key"):
        raise Forbidden("API keys are managed with your own token, not with a key", field="Authorization")
    issuer = edge_of(request).tokens
    return await _user_of(request, issuer.caller(presented))


async def admin(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> UUID:
    """A user whose own token carries the platform's admin role."""
    issuer = edge_of(request).tokens
    caller = issuer.caller(credentials.credentials if credentials else None)
    if not caller.admin:
        raise Forbidden("only an admin may do this", field="Authorization")
    return await _user_of(request, caller)


def is_admin(request: Request) -> bool:
    """Whether the request's own bearer token carries the platform's admin role (an API key
    never does)."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() != "bearer " or header[7:].startswith(API_KEY_PREFIX):
        return False
    issuer = edge_of(request).tokens
    try:
        return issuer.caller(header[7:]).admin
    except Unauthenticated:
        return False


EdgeOf = Annotated[Edge, Depends(edge_of)]
Ctx = Annotated[Context, Depends(context)]
User = Annotated[UUID, Depends(current_user)]
Person = Annotated[UUID, Depends(person)]
Admin = Annotated[UUID, Depends(admin)]


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

"""Who a request comes from, for what is kept per client (rate limits, idempotency keys, the door's
order of work): the authenticated principal — a bearer token's user, or a valid API key's (in
`Authorization`, `X-API-Key` or Judge0's `X-Auth-Token`) — else the address it came from. A
credential that does not check out names nobody: it cannot open a bucket of its own. Worked out
once per request and kept in its scope."""

from starlette.types import Scope

from gateway.domain.api_keys import PREFIX as API_KEY_PREFIX
from gateway.domain.limits import Rate
from gateway.usecases.api_keys import KeyChecker
from gradeflow_shared.auth import Tokens
from gradeflow_shared.errors import Unauthenticated

_KEPT = "gradeflow.principal"
_KEY_RATE = "gradeflow.key_rate"  # (bucket, rate) of the API key the principal came by, if its own


def address_of(scope: Scope) -> str:
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


async def client_of(scope: Scope, tokens: Tokens, keys: KeyChecker) -> str:
    """`user:<id>` for a caller whose credential checks out, else `address:<ip>`."""
    kept = scope.get(_KEPT)
    if isinstance(kept, str):
        return kept
    principal = address_of(scope)
    for presented in _presented(scope):
        if presented.startswith(API_KEY_PREFIX):
            found = await keys.owner_and_rate(presented)
            if found is None:
                continue
            user, prefix, rate = found
            if rate is not None:
                scope[_KEY_RATE] = (f"key:{prefix}", rate)
        else:
            try:
                user = tokens.verify(presented)
            except Unauthenticated:
                continue
        principal = f"user:{user}"
        break
    scope[_KEPT] = principal
    return principal


def key_rate(scope: Scope) -> tuple[str, Rate] | None:
    """The bucket and limit of the API key the request came by, when the key has its own limit on
    runs (capacity 0: none); None otherwise (client_of finds it)."""
    found = scope.get(_KEY_RATE)
    return found if isinstance(found, tuple) else None


def authenticated(principal: str) -> bool:
    return principal.startswith("user:")


def why_not(scope: Scope, tokens: Tokens) -> str:
    """Why a request names nobody, as the route itself would say it."""
    presented = _presented(scope)
    if not presented:
        return "missing bearer token or API key"
    if presented[0].startswith(API_KEY_PREFIX):
        return "unknown or revoked API key"
    try:
        tokens.verify(presented[0])
    except Unauthenticated as exc:
        return exc.message
    return "unknown credential"


def _presented(scope: Scope) -> list[str]:
    found: list[str] = []
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            found.insert(0, value[7:].decode("latin-1").strip())
        elif name in (b"x-api-key", b"x-auth-token"):
            found.append(value.decode("latin-1").strip())
    return found

"""Who a request comes from, for what is kept per client (rate limits, idempotency keys): the
token's user, else the address it came from."""

import hashlib

from starlette.types import Scope

from gradeflow_shared.auth import Tokens, Unauthenticated


def client_of(scope: Scope, tokens: Tokens) -> str:
    for name, value in scope.get("headers", ()):
        if name in (b"x-api-key", b"x-auth-token") or (
            name == b"authorization" and value[:10].lower() == b"bearer gf_"
        ):
            # An API key, unchecked here (the route checks it): counted by its digest.
            return (
                "key:"
                + hashlib.sha256(value.removeprefix(b"Bearer ").removeprefix(b"bearer ")).hexdigest()[:32]
            )
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            try:
                return f"user:{tokens.verify(value[7:].decode('latin-1'))}"
            except Unauthenticated:
                break  # the route itself refuses it; meanwhile it counts as its address
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"

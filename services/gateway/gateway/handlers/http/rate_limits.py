"""Rate limits at the door (ASGI middleware): each request's client — its authenticated principal,
else the address it came from (clients.py: an unchecked header names nobody) — and route class
draw on a bucket shared by every replica; past it, 429 with
`Retry-After`, and every limited answer carries `RateLimit-Limit`, `-Remaining` and `-Reset`.
Only the classes RATE_LIMITS names are limited (by default code runs, 100 a minute); an API key
with a limit of its own on runs (a Moodle site's one key, for all its students) draws on a bucket
of its own at that rate instead, or on none."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.domain.limits import Decision, Rate, route_class
from gateway.handlers.http.clients import client_of, key_rate
from gateway.usecases.api_keys import KeyChecker
from gateway.usecases.ports import RateLimiter
from gradeflow_shared.auth import Tokens
from gradeflow_shared.http_errors import error_body


class RateLimits:
    def __init__(
        self, app: ASGIApp, limiter: RateLimiter, rates: dict[str, Rate], tokens: Tokens, keys: KeyChecker
    ) -> None:
        self.app, self._limiter, self._rates, self._tokens, self._keys = app, limiter, rates, tokens, keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = route_class(scope["method"], scope["path"]) if scope["type"] == "http" else None
        rate = self._rates.get(kind) if kind is not None else None
        bucket = None
        if kind == "runs":  # a key with its own limit on runs draws on its own bucket
            principal = await client_of(scope, self._tokens, self._keys)
            bucket, rate = key_rate(scope) or (principal, rate)
            if rate is not None and rate.capacity == 0:
                rate = None  # the key's runs are not limited
        if kind is None or rate is None:
            await self.app(scope, receive, send)
            return
        bucket = bucket or await client_of(scope, self._tokens, self._keys)
        decision = await self._limiter.take(kind, bucket, rate)
        if decision is None:  # the limiter cannot be asked: let it through
            await self.app(scope, receive, send)
            return
        headers = _headers(decision)
        if not decision.allowed:
            message = f"rate limit reached for {kind}: {rate.capacity} per {rate.period_seconds:g} s"
            body = json.dumps(error_body("rate_limited", message)).encode()
            refused = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(max(1, decision.retry_after)).encode()),
                *headers,
            ]
            await send({"type": "http.response.start", "status": 429, "headers": refused})
            await send({"type": "http.response.body", "body": body})
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *headers]}
            await send(message)

        await self.app(scope, receive, with_headers)


def _headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(decision.limit).encode()),
        (b"ratelimit-remaining", str(decision.remaining).encode()),
        (b"ratelimit-reset", str(decision.reset).encode()),
    ]

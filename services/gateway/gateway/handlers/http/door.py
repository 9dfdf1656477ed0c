"""The door (ASGI middleware), before a request takes any of the process's work: its body's size is
checked against its route's bound (Content-Length first, then as it arrives: 413 past it, nothing
more read), a write's caller is authenticated before a byte of its body is read (401), and the
body is received whole within a deadline (408) before the request takes an in-flight slot — so a
slow or huge body, anonymous or not, holds neither memory nor a slot that others need."""

import asyncio
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.domain.limits import body_limit, needs_caller
from gateway.handlers.http.clients import authenticated, client_of, why_not
from gateway.handlers.http.refusals import refuse, replaying
from gateway.usecases.api_keys import KeyChecker
from gradeflow_shared.auth import Tokens

CLOSE = ((b"connection", b"close"),)  # the rest of the body is not read


class Door:
    def __init__(
        self, app: ASGIApp, tokens: Tokens, keys: KeyChecker, body_seconds: float, jobe_file_bytes: int
    ) -> None:
        self.app, self._tokens, self._keys = app, tokens, keys
        self._body_seconds, self._jobe_file_bytes = body_seconds, jobe_file_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"], self._jobe_file_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await refuse(
                send, 413, "too_large", f"the body is over {limit} bytes for this route", "body", CLOSE
            )
            return
        anonymous = needs_caller(scope["method"], scope["path"]) and not authenticated(
            await client_of(scope, self._tokens, self._keys)
        )
        if anonymous:
            await refuse(send, 401, "unauthenticated", why_not(scope, self._tokens), "Authorization")
            return
        body = await self._read(receive, send, limit)
        if body is None:
            return
        await self.app(scope, replaying(body, receive), send)

    async def _read(self, receive: Receive, send: Send, limit: int) -> bytes | None:
        """The whole body within the deadline and the bound, or None once refused."""
        chunks: list[bytes] = []
        size, more = 0, True
        deadline = time.monotonic() + self._body_seconds
        while more:
            try:
                message = await asyncio.wait_for(receive(), deadline - time.monotonic())
            except TimeoutError:
                await refuse(
                    send,
                    408,
                    "timeout",
                    f"the body did not arrive within {self._body_seconds:g} s",
                    "body",
                    CLOSE,
                )
                return None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await refuse(
                    send, 413, "too_large", f"the body is over {limit} bytes for this route", "body", CLOSE
                )
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None

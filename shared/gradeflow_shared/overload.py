"""Overload answered at once: a bound on the HTTP requests a process works on at the same time.
Past it a request is refused with 503 and `Retry-After` straight away, instead of waiting seconds
for a database connection and failing then; health probes are never refused."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REFUSED = json.dumps({"detail": "overloaded: too many requests in progress, retry shortly"}).encode()


class InFlightLimit:
    """ASGI middleware: at most `limit` requests in progress (0: no bound)."""

    def __init__(self, app: ASGIApp, limit: int, retry_after_seconds: int = 1) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0
        self.refused = 0
        self._retry_after = str(retry_after_seconds).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.limit or scope["path"].startswith("/health"):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.refused += 1
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"retry-after", self._retry_after),
                        (b"content-length", str(len(REFUSED)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": REFUSED})
            return
        self.in_flight += 1
        held = True

        async def sending(message: Message) -> None:
            # A live stream (SSE) is work done once its answer starts: it may stay open for hours,
            # and its own bound is the service's (the notifier's open streams).
            nonlocal held
            if held and message["type"] == "http.response.start" and _streams(message):
                held = False
                self.in_flight -= 1
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if held:
                self.in_flight -= 1


def _streams(start: Message) -> bool:
    return any(
        k == b"content-type" and v.startswith(b"text/event-stream") for k, v in start.get("headers", ())
    )

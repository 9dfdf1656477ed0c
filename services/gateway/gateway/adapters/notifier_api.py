"""The notifier's inbox API behind the gateway's door: a request for a user's own notifications,
preferences or webhooks is passed on as it came — with, instead of the caller's credentials, a
short token of the built-in issuer naming the user the gateway resolved them to (an identity
provider's user, provisioned here, is known to the notifier by that id only) — and the answer
passed back, a live stream (SSE) byte for byte for as long as both ends hold it open. The one
synchronous call between services, and never on a submission's path."""

import time
from collections.abc import AsyncIterator, Callable
from uuid import UUID

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gradeflow_shared.errors import Unavailable

# What is passed on each way; hop-by-hop headers (connection, transfer-encoding) are not.
REQUEST_HEADERS = ("content-type", "accept", "last-event-id")
PASS_ON_TOKEN_SECONDS = 300  # a minted token's life; reused for the first four fifths of it
RESPONSE_HEADERS = ("content-type", "cache-control", "retry-after", "x-accel-buffering")


class NotifierApi:
    def __init__(
        self, base_url: str, mint: Callable[[UUID, float], str], timeout_seconds: float = 10.0
    ) -> None:
        self._mint = mint
        self._minted: dict[UUID, tuple[str, float]] = {}
        # No bound on connections: each open stream holds one for as long as it lasts (the
        # notifier bounds its streams itself); no read timeout, for the same reason (the
        # notifier's pings keep an idle stream alive).
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout_seconds, read=None),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
        )

    def _token(self, user_id: UUID) -> str:
        minted = self._minted.get(user_id)
        if minted is None or minted[1] < time.monotonic():
            if len(self._minted) > 100_000:
                self._minted.clear()
            token = self._mint(user_id, PASS_ON_TOKEN_SECONDS)
            minted = (token, time.monotonic() + PASS_ON_TOKEN_SECONDS * 0.8)
            self._minted[user_id] = minted
        return minted[0]

    async def forward(self, request: Request, user_id: UUID) -> Response:
        headers = {k: v for k, v in request.headers.items() if k in REQUEST_HEADERS}
        headers["authorization"] = f"Bearer {self._token(user_id)}"
        upstream_request = self._client.build_request(
            request.method,
            request.url.path,
            params=str(request.query_params),
            headers=headers,
            content=await request.body(),
        )
        try:
            upstream = await self._client.send(upstream_request, stream=True)
        except httpx.TransportError as exc:
            raise Unavailable(f"the notifier is unavailable: {type(exc).__name__}") from exc
        passed = {k: v for k, v in upstream.headers.items() if k in RESPONSE_HEADERS}
        if upstream.headers.get("content-type", "").startswith("text/event-stream"):
            return StreamingResponse(_relay(upstream), status_code=upstream.status_code, headers=passed)
        try:
            body = await upstream.aread()
        except httpx.TransportError as exc:
            raise Unavailable(f"the notifier is unavailable: {type(exc).__name__}") from exc
        finally:
            await upstream.aclose()
        return Response(body, status_code=upstream.status_code, headers=passed)

    async def close(self) -> None:
        await self._client.aclose()


async def _relay(upstream: httpx.Response) -> AsyncIterator[bytes]:
    """The stream's bytes as they come; closed upstream as soon as either end goes."""
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.TransportError:
        return  # the notifier went away: the client reconnects (with Last-Event-ID)
    finally:
        await upstream.aclose()

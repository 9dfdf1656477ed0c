"""`Idempotency-Key` on every POST, PUT and PATCH (ASGI middleware): the request's fingerprint (its
method, path, query and body) is kept with the key per client, the first answer stored, and a retry
with the same key answered from it (`Idempotent-Replayed: true`) without doing anything again. An
answer marked `Cache-Control: no-store` (it carries a secret) is not kept: a retry is told so."""

import hashlib
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.domain.errors import Conflict, GatewayError
from gateway.handlers.http.clients import client_of
from gateway.handlers.http.refusals import refuse, replaying
from gateway.usecases import idempotency
from gateway.usecases.api_keys import KeyChecker
from gateway.usecases.idempotency import KeyPolicy, Replay
from gateway.usecases.ports import Units
from gradeflow_shared.auth import Tokens
from gradeflow_shared.http_errors import error_body

METHODS = ("POST", "PUT", "PATCH")
KEPT_HEADERS = ("content-type", "location")  # what a replay repeats of the first answer
MAX_BODY_BYTES = (
    33 * 1024 * 1024
)  # read whole before the route sees it: the largest route's (a roster) and no more


class IdempotencyKeys:
    def __init__(
        self, app: ASGIApp, units: Units, policy: KeyPolicy, tokens: Tokens, keys: KeyChecker
    ) -> None:
        self.app, self._units, self._policy, self._tokens, self._keys = app, units, policy, tokens, keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key(scope) if scope["type"] == "http" and scope["method"] in METHODS else None
        if key is None:
            await self.app(scope, receive, send)
            return
        if not 1 <= len(key) <= 255 or not key.isprintable():
            await _refuse(send, 422, "invalid", "Idempotency-Key must be 1 to 255 printable characters")
            return
        body, more = b"", True
        while more:  # the whole body first: it is part of the fingerprint
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY_BYTES:
                await _refuse(
                    send,
                    413,
                    "too_large",
                    f"a keyed request's body is at most {MAX_BODY_BYTES} bytes",
                    "body",
                )
                return
        client = await client_of(scope, self._tokens, self._keys)
        fingerprint = _fingerprint(scope, body)
        try:
            first = await idempotency.take(self._units, self._policy, client, key, fingerprint)
        except Conflict as exc:  # the first is still being worked on
            await _refuse(send, 409, "conflict", exc.message)
            return
        except GatewayError as exc:  # the key was used with another request
            await _refuse(send, 422, "invalid", exc.message)
            return
        if first is not None:
            headers = [(k.encode(), v.encode()) for k, v in first.headers.items()]
            await send({"type": "http.response.start", "status": first.status,
                        "headers": [*headers, (b"idempotent-replayed", b"true")]})  # fmt: skip
            await send({"type": "http.response.body", "body": first.body})
            return

        status, kept, chunks, secret = 500, {}, [], False

        async def keeping(message: Message) -> None:
            nonlocal status, secret
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    lowered = name.decode("latin-1").lower()
                    if lowered in KEPT_HEADERS:
                        kept[lowered] = value.decode("latin-1")
                    secret = secret or (lowered == "cache-control" and b"no-store" in value.lower())
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replaying(body, receive), keeping)
        except BaseException:
            await idempotency.release(self._units, client, key)
            raise
        first = Replay(status, kept, b"".join(chunks)) if not secret else _not_kept(status)
        await idempotency.answer(self._units, client, key, first)


def _not_kept(status: int) -> Replay:
    """What a retry of an answer that carried a secret (`Cache-Control: no-store`: a new API key,
    a token) is told instead: the secret is never stored, in clear or otherwise."""
    message = (
        f"the first request with this Idempotency-Key was answered {status}; "
        "that answer carried a secret, which is not kept: it cannot be replayed"
    )
    body = json.dumps(
        error_body("not_replayable", message, [{"field": "Idempotency-Key", "message": message}])
    )
    return Replay(409, {"content-type": "application/json"}, body.encode())


def _key(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"idempotency-key":
            return str(value.decode("latin-1"))
    return None


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


async def _refuse(send: Send, status: int, code: str, message: str, field: str = "Idempotency-Key") -> None:
    await refuse(send, status, code, message, field, ((b"retry-after", b"1"),) if status == 409 else ())

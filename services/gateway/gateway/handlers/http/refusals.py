"""What the middlewares share: an answer given before any route runs (the API's error body, naming
the field), and a body read whole handed on to the app."""

import json

from starlette.types import Message, Receive, Send

from gradeflow_shared.http_errors import error_body


async def refuse(
    send: Send,
    status: int,
    code: str,
    message: str,
    field: str,
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    body = json.dumps(error_body(code, message, [{"field": field, "message": message}])).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": body})


def replaying(body: bytes, receive: Receive) -> Receive:
    """The `receive` of an app behind a middleware that read the whole body: the body once, then
    what comes after it (the disconnect, when it comes)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay

"""An answer the middlewares give before any route runs: the API's error body, naming the field."""

import json

from starlette.types import Send

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

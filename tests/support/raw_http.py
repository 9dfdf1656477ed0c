"""A request written on a raw socket, for bodies no well-behaved client sends: huge, streamed as
fast as the server takes them, with the answer read whenever the server gives it (mid-body too —
where an HTTP client would fail on the closed connection instead)."""

import asyncio
import contextlib
from urllib.parse import urlsplit

MiB = 1024 * 1024
ANSWER_FIRST_SECONDS = 3.0  # how long the headers alone wait for an answer before the body goes


async def post_huge(
    base_url: str, path: str, total: int, headers: dict[str, str], chunked: bool = False
) -> bytes:
    """POST `total` bytes of `[` (JSON that never ends) in 1 MiB writes; the answer, head and body."""
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    reader, writer = await asyncio.open_connection(host, port)
    framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(total)}
    lines = {"Host": host, "Content-Type": "application/json", **framing, **headers}
    writer.write(
        f"POST {path} HTTP/1.1\r\n".encode()
        + "".join(f"{k}: {v}\r\n" for k, v in lines.items()).encode()
        + b"\r\n"
    )
    chunk = b"[" * MiB
    if chunked:
        chunk = f"{MiB:x}\r\n".encode() + chunk + b"\r\n"
    answering = asyncio.create_task(_answer(reader))
    try:
        # A server that refuses on the headers answers before any body is sent: nothing sent,
        # nothing raced (a body written into a closed connection resets it, and the answer with it).
        done, _ = await asyncio.wait({answering}, timeout=ANSWER_FIRST_SECONDS)
        if not done:
            with contextlib.suppress(ConnectionError):
                for _ in range(total // MiB):
                    if answering.done():
                        break
                    writer.write(chunk)
                    await writer.drain()
        return await asyncio.wait_for(answering, 10)
    except ConnectionError:
        return b""
    finally:
        writer.close()


async def _answer(reader: asyncio.StreamReader) -> bytes:
    """The head, then the body its Content-Length names (at most 64 KiB): the two may come in
    separate segments, so one read can hold the head alone."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as cut:
        return cut.partial
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = min(int(value), 64 * 1024)
    try:
        return head + await reader.readexactly(length)
    except asyncio.IncompleteReadError as cut:
        return head + cut.partial

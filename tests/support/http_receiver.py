"""A real HTTP server on 127.0.0.1 that records every request and answers from a script (then
200): a webhook or callback receiver for tests."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    method: str = "POST"


@dataclass
class Receiver:
    url: str
    script: list[int] = field(default_factory=list)  # statuses to answer first, in order
    calls: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server calls it so
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.calls.append(Received(self.path, headers, body, self.command))
                status = state.script.pop(0) if state.script else 200
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        do_PUT = do_POST  # Judge0's callbacks are PUTs

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()

"""A real SMTP server for tests (the development sink, aiosmtpd on 127.0.0.1), which can refuse:
451 for its first `busy` messages, 550 for one address."""

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from gradeflow_tools.smtp_sink import MailSink, start


class FlakySink(MailSink):
    def __init__(self, busy: int = 0, keep: bool = True) -> None:
        super().__init__(keep=keep)
        self.busy, self.unknown = busy, ""
        self.port = 0  # set by whoever starts it
        self.refused = 0
        self._count = threading.Lock()

    def refusal(self, envelope: Any) -> str | None:
        if self.unknown in envelope.rcpt_tos:
            return "550 5.1.1 no such mailbox"
        with self._count:
            if self.refused < self.busy:
                self.refused += 1
                return "451 4.7.1 rate limited, try later"
        return None

    def received(self, addresses: list[str]) -> list[str]:
        """The recipient of each message accepted, among `addresses` (other tests' mail left out):
        an address twice if it was sent twice."""
        return sorted(a for a in set(addresses) for _ in range(self.per_recipient[a]))

    def reached(self, addresses: list[str]) -> int:
        """How many of `addresses` have at least one message: cheap enough to poll every few
        milliseconds over tens of thousands, beside the server's own thread."""
        return sum(1 for a in addresses if self.per_recipient[a])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(request: pytest.FixtureRequest) -> Iterator[tuple[FlakySink, int]]:
    """(the server, its port); `@pytest.mark.parametrize("smtp", [{"busy": n}], indirect=True)`."""
    sink, port = FlakySink(**getattr(request, "param", {})), free_port()
    controller = start(sink, port)
    yield sink, port
    controller.stop()

"""A local SMTP server that keeps what it receives: the notifier's email target in development
(`make run` starts it) and in tests and benchmarks. Each accepted message is appended to an mbox
file; `list` shows them.

    python -m gradeflow_tools.smtp_sink serve [--port 1025] [--mbox .run/mail.mbox]
    python -m gradeflow_tools.smtp_sink list [--mbox .run/mail.mbox]
"""

import mailbox
import re
import threading
import time
from collections import Counter
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import typer
from aiosmtpd.controller import Controller

cli = typer.Typer(add_completion=False, help=__doc__)
DEFAULT_MBOX = Path(".run/mail.mbox")
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


def message_id(content: bytes) -> bytes | None:
    """The Message-ID header of a message's head (None when it has none)."""
    head = content.split(b"\r\n\r\n", 1)[0]
    found = _MESSAGE_ID.search(head)
    return found.group(1) if found else None


class MailSink:
    """aiosmtpd handler: accepts every message (`refusal()` may answer otherwise), keeps it in
    memory and, with `mbox`, on disk."""

    def __init__(self, mbox: Path | None = None, keep: bool = True) -> None:
        self.messages: list[Message] = []
        self.accepted = 0
        self.per_recipient: Counter[str] = Counter()  # messages accepted for each address
        # The Message-IDs each address was sent: what its mailbox holds where a repeat of one is
        # suppressed (Gmail; Cyrus's duplicatesuppression; Dovecot's duplicate elimination).
        self.message_ids: dict[str, set[bytes]] = {}
        self._keep = keep
        self._lock = threading.Lock()
        self._box = mailbox.mbox(mbox) if mbox is not None else None

    def refusal(self, envelope: Any) -> str | None:
        """An SMTP answer to refuse this message with (None: accept it)."""
        return None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it so
        refused = self.refusal(envelope)
        if refused is not None:
            return refused
        with self._lock:
            self.accepted += 1
            self.per_recipient.update(envelope.rcpt_tos)
            mid = message_id(envelope.content) or b"<none:%d>" % self.accepted  # none: each its own
            for address in envelope.rcpt_tos:
                self.message_ids.setdefault(address, set()).add(mid)
            if self._keep or self._box is not None:
                message = message_from_bytes(envelope.content)
                if self._keep:
                    self.messages.append(message)
                if self._box is not None:
                    self._box.add(message)
                    self._box.flush()
        return "250 Message accepted for delivery"


def start(sink: MailSink, port: int, host: str = "127.0.0.1") -> Controller:
    controller = Controller(sink, hostname=host, port=port, ready_timeout=10)
    controller.start()
    return controller


@cli.command()
def serve(port: int = typer.Option(1025), mbox: Path = typer.Option(DEFAULT_MBOX)) -> None:
    """Accept mail on 127.0.0.1:PORT until interrupted, appending each message to MBOX."""
    mbox.parent.mkdir(parents=True, exist_ok=True)
    controller = start(MailSink(mbox, keep=False), port)
    typer.echo(f"SMTP sink on 127.0.0.1:{port}, keeping mail in {mbox}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


@cli.command(name="list")
def list_mail(mbox: Path = typer.Option(DEFAULT_MBOX), last: int = typer.Option(20)) -> None:
    """The last messages the sink kept: date, recipient, subject."""
    if not mbox.exists():
        typer.echo(f"no mail yet ({mbox} does not exist)")
        return
    box = mailbox.mbox(mbox)
    messages = list(box)
    for message in messages[-last:]:
        date, to, subject = (message[h] or "-" for h in ("Date", "To", "Subject"))
        typer.echo(f"{date:31}  {to:40}  {subject}")
    typer.echo(f"{len(messages)} messages in {mbox}")


if __name__ == "__main__":
    cli()

"""Email: a notification rendered as plain text and HTML (Jinja2 templates, HTML autoescaped), and
the SMTP client (aiosmtplib) that sends many at the provider's pace — a few connections kept open
and reused for message after message, a leaky-bucket limit on messages per second (aiolimiter) so
the provider's rate limit is never reached."""

import asyncio
import contextlib
import functools
import logging
import socket
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate
from typing import Any

import aiosmtplib
from aiolimiter import AsyncLimiter
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notifier.domain.delivery import Mail, SendResult
from notifier.domain.records import DueDelivery

log = logging.getLogger(__name__)
_templates = Environment(
    loader=PackageLoader("notifier.adapters", "templates"),
    autoescape=select_autoescape(["html.j2"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render(row: DueDelivery) -> Mail:
    """A claimed delivery (notifications' title and body) as a mail."""
    text, html = _parts(row.title, row.body)
    return Mail(delivery_id=row.id, to=row.address, subject=row.title, text=text, html=html)


@functools.lru_cache(maxsize=64)  # a body is at most 20,000 characters: a few MB at most
def _parts(title: str, body: str) -> tuple[str, str]:
    """A notification's plain text and HTML: the same for each of its recipients (a course event's
    thousands, in batch after batch), so rendered once — and the same string objects, whose hash
    the mailer's cache of built messages then computes once, not per recipient."""
    context = {"title": title, "body": body}
    return (
        _templates.get_template("notification.txt.j2").render(context),
        _templates.get_template("notification.html.j2").render(context),
    )


def compose_digests(rows: Sequence[DueDelivery]) -> list[tuple[Mail, Sequence[DueDelivery]]]:
    """A batch of digest deliveries as one mail per address, listing its notifications oldest
    first; the mail carries them all (sent, or retried, together)."""
    by_address: dict[str, list[Any]] = {}
    for row in rows:
        by_address.setdefault(row.address, []).append(row)
    mails: list[tuple[Any, Sequence[Any]]] = []
    for address, items in by_address.items():
        items.sort(key=lambda r: r.created_at)
        context = {"items": [{"title": r.title, "body": r.body} for r in items]}
        subject = f"Gradeflow digest: {len(items)} notification{'s' if len(items) != 1 else ''}"
        mail = Mail(
            delivery_id=min(r.id for r in items),
            to=address,
            subject=subject,
            text=_templates.get_template("digest.txt.j2").render(context),
            html=_templates.get_template("digest.html.j2").render(context),
        )
        mails.append((mail, items))
    return mails


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        connections: int = 4,
        per_second: float = 100.0,
        timeout: float = 30.0,
        start_tls: bool | None = None,
        username: str | None = None,
        password: str | None = None,
        rate: AbstractAsyncContextManager[None] | None = None,
    ) -> None:
        """`rate`: the pace every send enters (shared by replicas: email_rate.py); by default
        this process's own, `per_second`."""
        self._host, self._port, self._sender = host, port, sender
        self._connections = connections
        self._limit = rate or AsyncLimiter(per_second, 1.0)
        self._timeout, self._start_tls = timeout, start_tls
        self._username, self._password = username, password
        self._idle: list[aiosmtplib.SMTP] = []
        self._local_hostname: str | None = None  # what this client calls itself in EHLO

    async def send(
        self, mails: Sequence[Mail], on_sent: Callable[[int], None] | None = None
    ) -> list[SendResult]:
        results: list[SendResult | None] = [None] * len(mails)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(mails)):
            queue.put_nowait(i)

        async def worker() -> None:
            client: aiosmtplib.SMTP | None = None
            try:
                while not queue.empty():
                    i = queue.get_nowait()
                    if client is None:
                        try:
                            client = await self._client()
                        except (aiosmtplib.SMTPException, OSError) as exc:
                            results[i] = SendResult("temporary", f"connect: {exc}"[:500])
                            continue
                    results[i], usable = await self._send_one(client, mails[i])
                    if on_sent is not None and results[i].outcome == "sent":  # type: ignore[union-attr]
                        on_sent(i)
                    if not usable:
                        await _quit(client)
                        client = None
            finally:
                if client is not None:
                    self._idle.append(client)

        await asyncio.gather(*(worker() for _ in range(min(self._connections, len(mails)))))
        return [r or SendResult("temporary", "not attempted") for r in results]

    async def _client(self) -> aiosmtplib.SMTP:
        while self._idle:
            client = self._idle.pop()
            if client.is_connected:
                return client
        if self._local_hostname is None:
            # Asked once: left to aiosmtplib, every new connection looks the machine's name up
            # (getfqdn: a DNS query, on a thread) — a tenth of the notifier's CPU while a relay
            # refused connections (docs/benchmarks.md).
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            timeout=self._timeout,
            start_tls=self._start_tls,
            local_hostname=self._local_hostname,
        )
        await client.connect()
        if self._username:
            await client.login(self._username, self._password or "")
        return client

    async def _send_one(self, client: aiosmtplib.SMTP, mail: Mail) -> tuple[SendResult, bool]:
        """The result, and whether the connection can carry the next message."""
        async with self._limit:
            try:
                await client.sendmail(self._sender, [mail.to], self._message(mail))
            except aiosmtplib.SMTPRecipientsRefused as exc:
                refused = exc.recipients[0]
                return _by_code(refused.code, refused.message), True
            except aiosmtplib.SMTPResponseException as exc:
                return _by_code(exc.code, exc.message), exc.code < 500 and exc.code != 421
            except (aiosmtplib.SMTPException, OSError) as exc:  # the connection is gone
                return SendResult("temporary", f"{type(exc).__name__}: {exc}"[:500]), False
            except ValueError as exc:  # an address no message can be written to
                return SendResult("permanent", str(exc)), True
        return SendResult("sent"), True

    def _message(self, mail: Mail) -> bytes:
        """The message as sent. What every recipient of one notification shares (the parts, the
        subject) is built once with the email package and cached — building and flattening a MIME
        message per recipient cost more CPU than sending it; only the recipient's own headers are
        written for each."""
        if "\r" in mail.to or "\n" in mail.to:
            raise ValueError("an address with a line break")
        shared = self._shared(mail.subject, mail.text, mail.html, int(time.time() // 60))
        # The delivery's id as Message-ID: a receiver can recognise a repeat after a crash between
        # its accept and our record of it.
        own = f"To: {mail.to}\r\nMessage-ID: <{mail.delivery_id}@gradeflow>\r\n".encode()
        return own + shared

    @functools.lru_cache(maxsize=64)  # noqa: B019 (one mailer per process: it lives as long)
    def _shared(self, subject: str, text: str, html: str, minute: int) -> bytes:
        """The headers and parts of one notification's mails, dated to the `minute` they go out."""
        message = EmailMessage(policy=SMTP)
        message["From"] = formataddr(("Gradeflow", self._sender))
        message["Subject"] = subject
        message["Date"] = formatdate(minute * 60, localtime=False)
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message.as_bytes()

    async def close(self) -> None:
        while self._idle:
            await _quit(self._idle.pop())


def _by_code(code: int, message: str) -> SendResult:
    detail = f"{code} {message}"[:500]
    return SendResult("temporary" if 400 <= code < 500 else "permanent", detail)


async def _quit(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(Exception):
        await client.quit()
    with contextlib.suppress(Exception):
        client.close()

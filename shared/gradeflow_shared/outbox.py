"""Transactional outbox: an event is written in the same transaction as the state it describes,
and a relay publishes it afterwards with publisher confirms. The broker being down never loses a
write; a crash between publish and mark only means a duplicate, which consumers absorb.

An event larger than MAX_EVENT_BYTES is refused when it is staged (`EventTooLarge`: the request
that made it fails, naming the event). A row the broker refuses anyway — on its own, published
alone (a message over the broker's `max_message_size`, an unroutable one) — is parked: set aside
with the broker's reason (`parked_at`, `park_reason`), logged and counted
(`gradeflow_outbox_parked_total`), so that it never blocks the rows behind it.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aiormq
from sqlalchemy import ARRAY, Table, any_, bindparam, cast, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared import tracing
from gradeflow_shared.broker import Outgoing, Publisher, relayed
from gradeflow_shared.db import SessionFactory
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.errors import FieldError
from gradeflow_shared.events import Event
from gradeflow_shared.prometheus import PARKED

log = logging.getLogger(__name__)
PASS_TIMEOUT_SECONDS = 30.0
# The largest event a service stages: under RabbitMQ's default max_message_size (128 MiB), and far
# above the largest a school needs (an assignment of 8 MiB of tests).
MAX_EVENT_BYTES = 16 * 1024 * 1024
OFF_LOOP_EVENTS = 8  # past this many, a commit serializes its events in a worker thread
# What the broker answers a message it will never take, however often it is sent.
REFUSALS = (aio_pika.exceptions.DeliveryError, aiormq.exceptions.ChannelPreconditionFailed)


class EventTooLarge(FieldError):
    """What a request asked for would make an event no consumer could be sent (HTTP 413)."""

    def __init__(self, event_type: str, size: int) -> None:
        super().__init__(f"the {event_type} event would take {size} bytes, over {MAX_EVENT_BYTES}", "body")


FIRST_BACKOFF_SECONDS, MAX_BACKOFF_SECONDS = 0.4, 5.0


def outbox_rows(events: list[tuple[Event, str | None]]) -> list[tuple[Envelope, dict[str, Any]]]:
    """Each (event, correlation id) pair's new envelope and the outbox row that stands for it: the
    rows both units of work write (`stage_events` here, driver_unit.py on the driver)."""
    staged = []
    for event, correlation_id in events:
        envelope = Envelope.for_event(event, correlation_id)
        body = event.model_dump_json()
        if len(body) > MAX_EVENT_BYTES:  # characters: at least as many bytes
            raise EventTooLarge(event.type, len(body.encode()))
        row = {
            "id": envelope.message_id,
            "routing_key": event.type,
            "message_type": event.type,
            "correlation_id": envelope.correlation_id,
            "body": body,
            "headers": envelope.headers(),
        }
        staged.append((envelope, row))
    return staged


async def stage_events(
    session: AsyncSession, outbox: Table, events: list[tuple[Event, str | None]]
) -> list[Envelope]:
    """Write (event, correlation id) pairs to the outbox in one statement, in the session's
    transaction: they are published when (and only if) it commits. Use cases stage events through
    their unit of work (unit_of_work.py), which calls this at commit."""
    # Many events (a roster's hundred thousand members) are serialized off the event loop: a
    # few milliseconds each would hold every other request for as long.
    staged = (
        await asyncio.to_thread(outbox_rows, events) if len(events) > OFF_LOOP_EVENTS else outbox_rows(events)
    )
    await session.execute(insert(outbox), [row for _, row in staged])
    return [envelope for envelope, _ in staged]


class OutboxRelay:
    """Publishes unpublished outbox rows in order; safe with several replicas (SKIP LOCKED)."""

    def __init__(
        self,
        sessions: SessionFactory,
        publisher: Publisher,
        outbox: Table,
        poll_seconds: float = 1.0,
        batch_size: int = 100,
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._outbox = outbox
        self._poll = poll_seconds
        self._batch = batch_size
        self._wake = asyncio.Event()
        # One pass at a time in this process: the shutdown flush waits for a pass in progress
        # (whose rows SKIP LOCKED would hide from it) instead of missing its rows.
        self._pass = asyncio.Lock()
        self._stopping = False
        self._unconfirmed = 0  # rows the last pass could not publish

    def wake(self) -> None:
        """Called after a commit that staged events, so they go out now rather than at next poll."""
        self._wake.set()

    async def run(self) -> None:
        failing = 0  # consecutive passes that failed or left rows unconfirmed
        while not self._stopping:
            # Cleared as the pass begins, not after it: a commit made while the pass runs (after
            # its SELECT) wakes the next pass at once instead of waiting out the poll.
            self._wake.clear()
            try:
                # Bounded: a pass stuck on a broker that stopped answering releases its row locks.
                sent = await asyncio.wait_for(self.relay_once(), PASS_TIMEOUT_SECONDS)
            except Exception:
                log.exception("outbox relay pass failed; retrying after a pause")
                sent, self._unconfirmed = 0, 1
            if self._unconfirmed:
                # The broker (or database) is down: back off, and do not let every new write's
                # wake() turn the relay into a busy loop of failing publishes.
                failing += 1
                await asyncio.sleep(min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** (failing - 1)))
                continue
            failing = 0
            if sent < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)

    async def stop(self) -> None:
        """Flush what is pending, then stop the loop (graceful shutdown)."""
        self._stopping = True
        self._wake.set()
        try:
            while await self.relay_once() > 0:
                pass
        except Exception:
            log.exception("outbox flush at shutdown failed; rows stay for the next start")

    async def relay_once(self) -> int:
        """One pass: lock a batch, publish it with confirms, mark what the broker confirmed."""
        async with self._pass:
            return await self._relay_batch()

    async def _relay_batch(self) -> int:
        o = self._outbox
        async with self._sessions.begin() as session:
            rows = (
                await session.execute(
                    select(o)
                    .where(o.c.published_at.is_(None), o.c.parked_at.is_(None))
                    .order_by(o.c.id)
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                self._unconfirmed = 0
                return 0
            with contextlib.ExitStack() as spans:  # a publish span per row, while it is published
                batch = []
                for row in rows:
                    headers = dict(row.headers)
                    spans.enter_context(tracing.publishing(row.routing_key, str(row.id), headers))
                    batch.append((_message(row, headers), row.routing_key))
                results = await self._publisher.publish_many(batch)
            if any(isinstance(res, REFUSALS) for res in results):
                # A refusal closes the channel under the rows after it: publish each failed row
                # alone, to tell the row the broker refuses from those it took down with it.
                results = await self._alone(session, rows, results)
            confirmed = [row.id for row, res in zip(rows, results, strict=True) if res is None]
            errors = [res for res in results if isinstance(res, BaseException) and not _parked(res)]
            self._unconfirmed = len(errors)
            if errors:  # one line per pass, not per row: an outage would flood the log
                log.warning("outbox: %d of %d publishes not confirmed: %r", len(errors), len(rows), errors[0])
            if confirmed:
                # One array parameter: the same statement (prepared once) however many rows.
                ids = cast(bindparam("ids", confirmed), ARRAY(o.c.id.type))
                await session.execute(
                    update(o).where(o.c.id == any_(ids)).values(published_at=datetime.now(UTC))
                )
            return len(confirmed)

    async def _alone(
        self, session: AsyncSession, rows: Sequence[Any], results: Sequence[BaseException | None]
    ) -> list[BaseException | None]:
        """Publish each failed row on its own; park those the broker refuses on their own."""
        o = self._outbox
        again: list[BaseException | None] = []
        for row, first in zip(rows, results, strict=True):
            if first is None:
                again.append(None)
                continue
            [result] = await self._publisher.publish_many(
                [(_message(row, dict(row.headers)), row.routing_key)]
            )
            if isinstance(result, REFUSALS):
                reason = str(result)[:2000]
                await session.execute(
                    update(o).where(o.c.id == row.id).values(parked_at=datetime.now(UTC), park_reason=reason)
                )
                PARKED.labels(row.message_type).inc()
                log.error("outbox: %s %s parked, refused by the broker: %s", row.message_type, row.id, reason)
                result = _Parked(reason)
            again.append(result)
        return again


class _Parked(Exception):
    """A row set aside: neither published nor still to be."""


def _parked(result: BaseException) -> bool:
    return isinstance(result, _Parked)


def _message(row: Any, headers: dict[str, Any]) -> Outgoing:
    """The outbox row as the message it stands for: its id, type, correlation id, headers (as
    staged, but for the publish span's trace context) and body."""
    return relayed(
        str(row.id), row.message_type, row.correlation_id, row.body.encode(), headers, row.created_at
    )

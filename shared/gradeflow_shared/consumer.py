"""Consumer kit: how every subscriber validates, runs, settles and reports one message.

Settling happens here and only here: success → ack; a transient failure → republish to the next
delay tier (TTL queue that dead-letters back to the work queue) then ack; a permanent failure or
the last tier exhausted → republish to `<queue>.dlq` with the error and attempt history, then ack.
The republish is confirmed before the ack, so a crash in between duplicates, never loses.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from pydantic import ValidationError

from gradeflow_shared import prometheus, tracing
from gradeflow_shared.broker import Publisher, publish_raw
from gradeflow_shared.consuming import Consuming
from gradeflow_shared.envelope import (
    H_ATTEMPTS,
    H_ERROR,
    H_OCCURRED_AT,
    H_ORIGIN_QUEUE,
    H_PUBLISHED_AT,
    H_RETRIES,
    H_VERSION,
    Envelope,
    header_time,
)
from gradeflow_shared.errors import disposition
from gradeflow_shared.events import Event, Outcome
from gradeflow_shared.telemetry import JobReport, Telemetry
from gradeflow_shared.topology import Route
from gradeflow_shared.unit_of_work import (
    UnitOfWork,
    UnitsOfWork,
    claimed,
    claimed_together,
    idempotent_together,
)

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Event)
R = TypeVar("R")
Handler = Callable[[E, Envelope], Awaitable[None]]


class Delivery(Protocol):
    """What the kit reads of a delivered message (an aio-pika IncomingMessage, or a test's own)."""

    @property
    def body(self) -> bytes: ...
    @property
    def headers(self) -> dict[str, Any]: ...
    @property
    def message_id(self) -> str | None: ...
    @property
    def correlation_id(self) -> str | None: ...
    @property
    def type(self) -> str | None: ...


def envelope_of(msg: Delivery, final_attempt: bool = False) -> Envelope:
    headers = msg.headers or {}
    trace: dict[str, str] = {k: str(headers[k]) for k in ("traceparent", "tracestate") if k in headers}
    # Every value below is of its field's type already: constructed, not validated.
    return Envelope.model_construct(
        message_id=str(msg.message_id),
        type=str(msg.type or ""),
        version=int(headers.get(H_VERSION, 1)),
        occurred_at=header_time(headers, H_OCCURRED_AT) or datetime.now(UTC),
        correlation_id=str(msg.correlation_id or msg.message_id),
        trace=trace,
        final_attempt=final_attempt,
    )


@dataclass(frozen=True)
class MessagingPolicy:
    """Settings, not code: how long a handler may run, how retries are spaced, how many at once."""

    retry_delays_ms: tuple[int, ...]
    handler_timeout_seconds: float
    prefetch: int


@dataclass(frozen=True)
class Consumer(Generic[E]):
    """Runs `handler` for each message on `route`'s queue, with retry, dead-lettering and timing;
    returns once the message is settled (the caller then acks it: consuming.py)."""

    publisher: Publisher
    route: Route
    model: type[E]
    handler: Handler[E]
    policy: MessagingPolicy
    telemetry: Telemetry
    report: bool = True
    # The Prometheus series of this queue, looked up once (a label lookup per message costs).
    _series: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    async def __call__(self, msg: Delivery) -> None:
        started = datetime.now(UTC)
        headers = msg.headers or {}
        retries = int(headers.get(H_RETRIES, 0))
        error: BaseException | None = None
        # Telemetry's own consumer (report=False) is traced no more than it is reported.
        span = tracing.consuming if self.report else tracing.untraced
        with span(self.route.queue, str(msg.type or self.route.routing_key), msg.message_id, headers):
            try:
                event = self.model.model_validate_json(msg.body)
                envelope = envelope_of(msg, final_attempt=retries >= len(self.policy.retry_delays_ms))
                # A timeout scope, not wait_for: no task of its own per message.
                async with asyncio.timeout(self.policy.handler_timeout_seconds):
                    await self.handler(event, envelope)
                outcome: Outcome = "processed"
            except Exception as exc:  # every failure is settled below, none escapes
                error = exc
                outcome = await self._settle_failure(msg, headers, retries, exc)
        finished = datetime.now(UTC)
        published = header_time(headers, H_PUBLISHED_AT)
        self._observe(outcome, started, finished, published)
        if self.report:
            self._report(msg, started, finished, published, outcome, retries + 1, error)

    def _observe(
        self, outcome: Outcome, started: datetime, finished: datetime, published: datetime | None
    ) -> None:
        series = self._series.get(outcome)
        if series is None:
            q = self.route.queue
            series = self._series[outcome] = (
                prometheus.PROCESSING.labels(q, outcome),
                prometheus.MESSAGES.labels(q, outcome),
                prometheus.WAIT.labels(q),
            )
        processing, count, wait = series
        processing.observe((finished - started).total_seconds())
        count.inc()
        if published is not None:
            wait.observe(max(0.0, (started - published).total_seconds()))

    async def _settle_failure(
        self, msg: Delivery, headers: dict[str, Any], retries: int, exc: BaseException
    ) -> Outcome:
        action = disposition(exc)
        reason = _describe(exc)
        headers = dict(headers)  # the republished copy's, with this attempt added
        history = json.loads(headers.get(H_ATTEMPTS, "[]"))
        history.append({"at": datetime.now(UTC).isoformat(), "error": reason})
        headers.update({H_ERROR: reason, H_ATTEMPTS: json.dumps(history)})
        headers.setdefault(H_ORIGIN_QUEUE, self.route.queue)
        headers.setdefault("x-original-routing-key", self.route.routing_key)
        envelope = envelope_of(msg)
        outcome: Outcome
        if action == "retry" and retries < len(self.policy.retry_delays_ms):
            headers[H_RETRIES] = retries + 1
            target, outcome = self.route.retry_queue(retries), "retried"
            log.warning("%s: retry %d for %s: %s", self.route.queue, retries + 1, msg.message_id, reason)
        else:
            target, outcome = self.route.dlq, "dead_lettered"
            log.error("%s: dead-lettering %s: %s", self.route.queue, msg.message_id, reason)
        await publish_raw(self.publisher, msg.body, envelope, "", headers=headers, to_queue=target)
        return outcome

    def _report(
        self,
        msg: Delivery,
        started: datetime,
        finished: datetime,
        published: datetime | None,
        outcome: Outcome,
        attempt: int,
        error: BaseException | None,
    ) -> None:
        event = JobReport(
            self.route.queue,
            str(msg.message_id),
            str(msg.type or self.route.routing_key),
            published,
            started,
            finished,
            outcome,
            attempt,
            _describe(error) if error else None,
        )
        self.telemetry.report(event)  # published in the background, with others (telemetry.py)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return f"ValidationError: {exc.errors(include_url=False, include_input=False)}"[:2000]
    if isinstance(exc, TimeoutError):
        return "TimeoutError: handler exceeded its time limit"
    return f"{type(exc).__name__}: {exc}"[:2000]


@dataclass
class Subscriptions:
    """A service's subscribers, registered with its messaging policy on its consuming side."""

    publisher: Publisher
    policy: MessagingPolicy
    telemetry: Telemetry  # one per process (the runtime's), which flushes it at shutdown
    consuming: Consuming
    registered: list[tuple[Route, type[Event]]] = field(default_factory=list)  # for its AsyncAPI document

    def add(
        self,
        route: Route,
        model: type[E],
        handler: Handler[E],
        *,
        prefetch: int | None = None,
        report: bool = True,
    ) -> None:
        """Consume `route`'s queue; concurrency is bounded by the channel prefetch."""
        consumer = Consumer(self.publisher, route, model, handler, self.policy, self.telemetry, report)
        self.registered.append((route, model))
        self.consuming.subscribe(route.queue, prefetch or self.policy.prefetch, consumer)

    def add_claimed(
        self,
        route: Route,
        model: type[E],
        units: UnitsOfWork[R],
        use_case: Callable[[UnitOfWork[R], E, Envelope], Awaitable[None]],
        *,
        together: bool = False,
        **options: Any,
    ) -> None:
        """Consume `route`'s queue with `use_case` run in one unit of work that claims each message
        first: a redelivery is a no-op (unit_of_work.claimed). `together`: the messages in hand
        share one unit of work (unit_of_work.claimed_together), for small, frequent ones."""
        handler = claimed_together(units, route, use_case) if together else claimed(units, route, use_case)
        self.add(route, model, handler, **options)

    def add_idempotent(
        self,
        route: Route,
        model: type[E],
        units: UnitsOfWork[R],
        use_case: Callable[[UnitOfWork[R], E, Envelope], Awaitable[None]],
        **options: Any,
    ) -> None:
        """Consume `route`'s queue with a use case idempotent by itself (it moves state forward
        only, or writes rows under ids derived from the message, and stages no events): the
        messages in hand share a unit of work, without inbox claims
        (unit_of_work.idempotent_together)."""
        self.add(route, model, idempotent_together(units, use_case), **options)

"""Consuming on FastStream: every service's subscribers on one `RabbitBroker`, each with a typed
body and a mode saying how it meets the database, and the few things FastStream leaves to us
plugged into it as one middleware (`Settling`).

FastStream does the consuming: the robust connection, a channel per subscriber with its own
prefetch, decoding and validating the body into the event's model, acking after the handler
returns, waiting for handlers in flight at shutdown, the in-memory test broker (`TestRabbitBroker`)
and the AsyncAPI document (`asyncapi_document`).

`Settling` settles every failure, so none reaches FastStream: a transient one is republished to
the route's next delay tier (a TTL queue that dead-letters back to the work queue), a permanent one,
or the last tier's, to `<queue>.dlq` with the error and the attempt history; the republish is
confirmed before the ack, so a crash in between duplicates, never loses (the inbox makes the repeat
a no-op). It also bounds a handler's time, continues the message's trace, observes the Prometheus
series and reports the job to the metrics service (telemetry.py).
"""

import asyncio
import contextvars
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, TypeVar, overload

from aio_pika.abc import AbstractIncomingMessage
from faststream import AckPolicy, BaseMiddleware
from faststream.rabbit import Channel, ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue
from faststream.specification import AsyncAPI
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from pydantic import ValidationError

from gradeflow_shared import prometheus, tracing
from gradeflow_shared.broker import Publisher, publish_raw
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
from gradeflow_shared.telemetry import Telemetry
from gradeflow_shared.topology import EXCHANGE, Route
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
UseCase = Callable[[UnitOfWork[R], E, Envelope], Awaitable[None]]
_ENVELOPE: contextvars.ContextVar[Envelope] = contextvars.ContextVar("envelope")
EVENTS = RabbitExchange(EXCHANGE.name, type=ExchangeType.TOPIC, durable=True, declare=False)


class Mode(StrEnum):
    """How a subscriber's use case meets the database."""

    CLAIMED = "claimed"
    """One unit of work per message, which claims the message in the inbox first: a redelivery is
    a no-op (unit_of_work.claimed)."""
    CLAIMED_TOGETHER = "claimed_together"
    """The messages in hand share one unit of work, claimed together: for small, frequent ones
    (unit_of_work.claimed_together)."""
    IDEMPOTENT = "idempotent"
    """The messages in hand share one unit of work without inbox claims, for a use case idempotent
    by business key: it moves state forward only, or writes rows under ids derived from the message,
    and stages no events (unit_of_work.idempotent_together)."""
    OUTSIDE = "outside"
    """The handler opens its own units of work, around long work done outside any transaction (a
    sandbox run): it is idempotent by business key and by message id itself."""


@dataclass(frozen=True)
class MessagingPolicy:
    """Settings, not code: how long a handler may run, how retries are spaced, how many at once."""

    retry_delays_ms: tuple[int, ...]
    handler_timeout_seconds: float
    prefetch: int


def envelope_of(msg: AbstractIncomingMessage, final_attempt: bool = False) -> Envelope:
    headers = msg.headers or {}
    trace: dict[str, str] = {k: str(headers[k]) for k in ("traceparent", "tracestate") if k in headers}
    # Every value below is of its field's type already: constructed, not validated.
    return Envelope.model_construct(
        message_id=str(msg.message_id),
        type=str(msg.type or ""),
        version=_int(headers.get(H_VERSION), 1),
        occurred_at=header_time(headers, H_OCCURRED_AT) or datetime.now(UTC),
        correlation_id=str(msg.correlation_id or msg.message_id),
        trace=trace,
        final_attempt=final_attempt,
    )


@dataclass
class _Kit:
    """What `Settling` needs of one subscriber: its route, the policy, where reports go."""

    route: Route
    publisher: Publisher
    policy: MessagingPolicy
    telemetry: Telemetry
    report: bool
    series: dict[str, Any] = field(default_factory=dict)  # Prometheus children, looked up once

    async def settle_failure(
        self,
        msg: AbstractIncomingMessage,
        envelope: Envelope,
        headers: dict[str, Any],
        retries: int,
        exc: BaseException,
    ) -> Outcome:
        action = disposition(exc)
        reason = _describe(exc)
        headers = dict(headers)  # the republished copy's, with this attempt added
        history = _attempts(headers.get(H_ATTEMPTS))
        history.append({"at": datetime.now(UTC).isoformat(), "error": reason})
        headers.update({H_ERROR: reason, H_ATTEMPTS: json.dumps(history)})
        headers.setdefault(H_ORIGIN_QUEUE, self.route.queue)
        headers.setdefault("x-original-routing-key", self.route.routing_key)
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

    def observe(
        self, outcome: Outcome, started: datetime, finished: datetime, published: datetime | None
    ) -> None:
        series = self.series.get(outcome)
        if series is None:
            q = self.route.queue
            series = self.series[outcome] = (
                prometheus.PROCESSING.labels(q, outcome),
                prometheus.MESSAGES.labels(q, outcome),
                prometheus.WAIT.labels(q),
            )
        processing, count, wait = series
        processing.observe((finished - started).total_seconds())
        count.inc()
        if published is not None:
            wait.observe(max(0.0, (started - published).total_seconds()))


class Settling:
    """The broker middleware that settles, times, traces and reports each message (see the module
    docstring); it tracks the handlers in flight so shutdown can cancel those past the grace period."""

    def __init__(self) -> None:
        self.kits: dict[str, _Kit] = {}  # by queue
        self.in_flight: set[asyncio.Task[Any]] = set()

    def __call__(self, msg: Any, /, *, context: Any) -> "_Settle":
        return _Settle(msg, context=context, settling=self)


class _Settle(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, settling: Settling) -> None:
        super().__init__(msg, context=context)
        self._settling = settling

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any) -> Any:
        raw: AbstractIncomingMessage = msg.raw_message
        kit = self._settling.kits[self.context.get_local("handler_").queue.name]
        task = asyncio.current_task()
        if task is not None:
            self._settling.in_flight.add(task)
        started = datetime.now(UTC)
        headers: dict[str, Any] = dict(raw.headers or {})
        retries = _retries(headers)
        error: BaseException | None = None
        # Telemetry's own consumer (report=False) is traced no more than it is reported.
        span = tracing.consuming if kit.report else tracing.untraced
        final = retries >= len(kit.policy.retry_delays_ms)
        # The handler's envelope, beside the body FastStream validates (a context field of
        # FastStream's would be resolved in a worker thread for every message).
        envelope = envelope_of(raw, final_attempt=final)
        _ENVELOPE.set(envelope)
        try:
            with span(kit.route.queue, str(raw.type or kit.route.routing_key), raw.message_id, headers):
                try:
                    # A timeout scope, not wait_for: no task of its own per message.
                    async with asyncio.timeout(kit.policy.handler_timeout_seconds):
                        await call_next(msg)
                    outcome: Outcome = "processed"
                except Exception as exc:  # every failure is settled here, none escapes
                    error = exc
                    outcome = await kit.settle_failure(raw, envelope, headers, retries, exc)
        finally:
            if task is not None:
                self._settling.in_flight.discard(task)
        finished = datetime.now(UTC)
        published = header_time(headers, H_PUBLISHED_AT)
        kit.observe(outcome, started, finished, published)
        if kit.report:
            kit.telemetry.report(
                (
                    kit.route.queue,
                    str(raw.message_id),
                    str(raw.type or kit.route.routing_key),
                    published,
                    started,
                    finished,
                    outcome,
                    retries + 1,
                    _describe(error) if error else None,
                )
            )
        return None


def _decoder(model: type[Event]) -> Callable[[Any], Awaitable[Event]]:
    """The body as the event, validated by pydantic from the JSON bytes in one pass."""

    async def decode(message: Any) -> Event:
        return model.model_validate_json(message.body)

    return decode


def _retries(headers: dict[str, Any]) -> int:
    """How many times the retry tiers have sent the message back (a header that is no count: 0)."""
    return _int(headers.get(H_RETRIES), 0)


def _attempts(value: object) -> list[Any]:
    """The attempt history a message carries (one that is not a JSON list: none)."""
    try:
        found = json.loads(str(value)) if value is not None else []
    except ValueError:
        return []
    return found if isinstance(found, list) else []


def _int(value: object, default: int) -> int:
    if isinstance(value, int | float | str | bytes):
        try:
            return int(value)
        except ValueError:
            return default
    return default


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return f"ValidationError: {exc.errors(include_url=False, include_input=False)}"[:2000]
    if isinstance(exc, TimeoutError):
        return "TimeoutError: handler exceeded its time limit"
    return f"{type(exc).__name__}: {exc}"[:2000]


@dataclass
class Messaging:
    """A service's consuming side: its FastStream broker, subscribers and published events."""

    broker: RabbitBroker
    publisher: Publisher  # the confirmed publisher retries, dead letters and the outbox relay share
    policy: MessagingPolicy
    telemetry: Telemetry  # one per process (the runtime's), which flushes it at shutdown
    graceful_timeout: float
    settling: Settling

    @classmethod
    def build(
        cls,
        amqp_url: str,
        publisher: Publisher,
        policy: MessagingPolicy,
        telemetry: Telemetry,
        graceful_timeout: float = 20.0,
        connect_timeout: float = 10.0,
    ) -> "Messaging":
        settling = Settling()
        broker = RabbitBroker(
            amqp_url,
            timeout=connect_timeout,
            graceful_timeout=graceful_timeout,
            middlewares=[settling],
            apply_types=False,  # the body is validated by its decoder (_decoder), no injection
            logger=None,  # a log line per message costs more than the handler; failures are logged here
        )
        return cls(broker, publisher, policy, telemetry, graceful_timeout, settling)

    @overload
    def add(
        self,
        route: Route,
        model: type[E],
        handler: Handler[E],
        *,
        mode: Literal[Mode.OUTSIDE],
        prefetch: int | None = None,
        report: bool = True,
    ) -> None: ...

    @overload
    def add(
        self,
        route: Route,
        model: type[E],
        handler: UseCase[R, E],
        *,
        mode: Literal[Mode.CLAIMED, Mode.CLAIMED_TOGETHER, Mode.IDEMPOTENT],
        units: UnitsOfWork[R],
        prefetch: int | None = None,
        report: bool = True,
    ) -> None: ...

    def add(
        self,
        route: Route,
        model: type[E],
        handler: Any,
        *,
        mode: Mode,
        units: Any = None,
        prefetch: int | None = None,
        report: bool = True,
    ) -> None:
        """Consume `route`'s queue (declared beforehand: broker.declare_topology) into `handler`,
        whose body is validated as `model`; `mode` says how it meets the database (`Mode`), `units`
        the units of work it runs in (all modes but OUTSIDE); at most `prefetch` messages in hand."""
        handle: Handler[E] = handler if mode is Mode.OUTSIDE else _moded(mode, route, units, handler)

        async def on_message(body: Any) -> None:
            await handle(body, _ENVELOPE.get())

        on_message.__annotations__["body"] = model  # FastStream validates the body as the event
        self.settling.kits[route.queue] = _Kit(route, self.publisher, self.policy, self.telemetry, report)
        subscriber = self.broker.subscriber(
            RabbitQueue(route.queue, declare=False, routing_key=route.routing_key),
            EVENTS,
            channel=Channel(prefetch_count=prefetch or self.policy.prefetch),
            # Acked once handled (the middleware settles every failure of the handler itself); if
            # settling fails too (the broker away for the republish), nacked and requeued: never
            # acked unsettled.
            ack_policy=AckPolicy.NACK_ON_ERROR,
            no_reply=True,
            title=route.queue,
            description=f"Dead letters: `{route.dlq}`.",
        )
        subscriber(on_message, decoder=_decoder(model))

    def publishes(self, events: tuple[type[Event], ...]) -> None:
        """Declare the events the service publishes (through its outbox), for its AsyncAPI document."""
        for event in events:
            self.broker.publisher(
                routing_key=event.type,
                exchange=EVENTS,
                persist=True,
                schema=event,
                title=event.type,
                description=" ".join((event.__doc__ or "").strip().split("\n\n")[0].split()),
            )

    @property
    def subscribed(self) -> bool:
        return bool(self.settling.kits)

    def prefetches(self) -> dict[str, int]:
        """Queue → how many of its messages this process holds unacknowledged at most."""
        return {
            sub.queue.name: sub.channel.prefetch_count or 0  # type: ignore[attr-defined]
            for sub in self.broker.subscribers
        }

    async def start(self) -> None:
        await self.broker.start()

    async def stop(self) -> None:
        """Stop taking messages; wait up to the grace period for those in hand, then cancel them
        (not acked: the broker redelivers them to another replica)."""
        for subscriber in self.broker.subscribers:
            try:
                await subscriber.stop()  # waits for its handlers, up to the grace period
            except Exception as exc:  # the channel is gone already: nothing more comes on it
                log.warning("%s: stopping the consumer failed: %s", subscriber, exc)
        if self.settling.in_flight:
            log.warning(
                "%d handlers still running after the grace period: cancelled", len(self.settling.in_flight)
            )
            for task in list(self.settling.in_flight):
                task.cancel()
            await asyncio.gather(*self.settling.in_flight, return_exceptions=True)

    async def close(self) -> None:
        await self.broker.stop()

    async def ping(self) -> bool:
        """Readiness: connected (False while the broker is away; the robust connection reconnects
        by itself and restores every subscriber's channel, prefetch and consumer)."""
        # A timeout long enough that a connected broker is always seen: with a few milliseconds, a
        # loaded loop could pass the deadline before the first look and report a live connection
        # as down. Disconnected, it looks again every tenth of the timeout until then.
        return await self.broker.ping(timeout=0.5)

    async def queue_gauges(self) -> list[Metric]:
        """The depth (ready) and consumers of each queue this process consumes, asked of the
        broker when scraped (a passive declare on the queue's own channel: it exists)."""
        ready = GaugeMetricFamily(
            "gradeflow_queue_messages_ready", "Messages ready in the queue.", labels=["queue"]
        )
        consumers = GaugeMetricFamily(
            "gradeflow_queue_consumers", "Consumers of the queue.", labels=["queue"]
        )
        if not await self.ping():
            return [ready, consumers]  # the broker away: no series rather than a stale one
        for sub in self.broker.subscribers:
            queue = sub._queue_obj  # type: ignore[attr-defined]
            if queue is None:
                continue
            try:
                result = await asyncio.wait_for(queue.declare(), 2)
            except Exception as exc:  # a scrape never fails for one queue
                log.info("%s: depth not read: %s", queue.name, exc)
                continue
            ready.add_metric([queue.name], result.message_count or 0)
            consumers.add_metric([queue.name], result.consumer_count or 0)
        return [ready, consumers]

    def asyncapi_document(self, service: str) -> dict[str, Any]:
        """The service's AsyncAPI 3.0 document, generated by FastStream from its subscribers and
        declared publishers (job telemetry, which every consumer publishes, included)."""
        spec = AsyncAPI(
            self.broker,
            title=f"Gradeflow {service}",
            version="0.1.0",
            description=f"What the {service} publishes and consumes on RabbitMQ.",
            schema_version="3.0.0",
        )
        document: dict[str, Any] = spec.to_specification().to_jsonable()
        return document


def _moded(mode: Mode, route: Route, units: UnitsOfWork[R], use_case: UseCase[R, E]) -> Handler[E]:
    if mode is Mode.CLAIMED:
        return claimed(units, route, use_case)
    if mode is Mode.CLAIMED_TOGETHER:
        return claimed_together(units, route, use_case)
    return idempotent_together(units, use_case)

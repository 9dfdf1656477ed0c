"""OpenTelemetry set-up from the standard OTEL_* variables: with an OTLP endpoint configured, the
SDK records spans and exports them; without one nothing would ever read a span, so the API's
no-op tracer stays and a request or message pays nothing for tracing (recording spans nobody
exported took 8 % of the gateway's CPU at 300 submissions/s: 0.84 → 0.77 cores).
`OTEL_SDK_DISABLED=true` turns it off even with an endpoint.

Messages carry the W3C trace context in their headers (envelope.py). The settling middleware
(messaging.py) continues
it: each message is handled in a CONSUMER span whose parent is the context it arrived with, and
what the handler stages carries that span's context; the outbox relay publishes each row in a
PRODUCER span whose parent is the context the row was staged with (the request's, or the consuming
span's) and sends the publish span's context on. So a submission is one trace: the gateway's
request → publish → the grader's run → publish → the gateway's read-model update and the
notifier's delivery. Span names and attributes follow the messaging semantic conventions, as
FastStream's RabbitTelemetryMiddleware names them; the middleware makes them itself because the
outbox relay publishes outside FastStream (a row staged with the request's context is published in
a span that continues it, which FastStream's middleware, tracing its own publishes only, cannot
know), and one place then makes both ends of every hop."""

import contextlib
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

_enabled = False
tracer = trace.get_tracer("gradeflow")


def exporting() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def enabled() -> bool:
    return _enabled


def configure_tracing(service: str) -> None:
    global _enabled
    if not exporting():
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _enabled = True


def instrument_app(app: Any) -> None:
    """The HTTP server and the database client, when spans are exported: FastAPI's instrumentation
    (a span per request) and asyncpg's (a span per statement; SQLAlchemy's would run in the
    greenlet SQLAlchemy's asyncio layer drives the driver from, which does not see the task's
    current span, so its spans would start traces of their own)."""
    if not _enabled:
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="/health/.*,/metrics", exclude_spans=["receive", "send"]
    )
    database = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    if not database.is_instrumented_by_opentelemetry:
        database.instrument()


async def untraced_loop(run: Callable[[], Awaitable[None]]) -> None:
    """A background loop (the outbox relay's polls, the senders', the monitor's passes) whose own
    statements start no traces: a trace a poll would be noise. The relay's publish spans continue
    the traces their rows were staged in all the same."""
    if not _enabled:
        await run()
        return
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with suppress_instrumentation():
        await run()


def _attributes(
    queue: str | None, routing_key: str, message_id: str | None, operation: str
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": operation,
        "messaging.rabbitmq.destination.routing_key": routing_key,
    }
    if queue:
        found["messaging.destination.name"] = queue
    if message_id:
        found["messaging.message.id"] = message_id
    return found


def _parent(headers: Mapping[str, Any]) -> Any:
    return propagate.extract({k: str(v) for k, v in headers.items() if k in ("traceparent", "tracestate")})


@contextlib.contextmanager
def consuming(
    queue: str, routing_key: str, message_id: str | None, headers: Mapping[str, Any]
) -> Iterator[None]:
    """The span a message is handled in, continuing the trace it arrived with (none: no cost)."""
    if not _enabled:
        yield
        return
    with tracer.start_as_current_span(
        f"{queue} process",
        context=_parent(headers),
        kind=SpanKind.CONSUMER,
        attributes=_attributes(queue, routing_key, message_id, "process"),
    ):
        yield


@contextlib.contextmanager
def untraced(
    queue: str, routing_key: str, message_id: str | None, headers: Mapping[str, Any]
) -> Iterator[None]:
    yield


@contextlib.contextmanager
def publishing(routing_key: str, message_id: str, headers: dict[str, Any]) -> Iterator[None]:
    """A PRODUCER span for one message, child of the context in `headers` (as staged), whose own
    context replaces it there: the consumer's span is the publish span's child."""
    if not _enabled:
        yield
        return
    attributes = _attributes(None, routing_key, message_id, "publish")
    with tracer.start_as_current_span(
        f"{routing_key} publish", context=_parent(headers), kind=SpanKind.PRODUCER, attributes=attributes
    ):
        propagate.inject(headers)
        yield

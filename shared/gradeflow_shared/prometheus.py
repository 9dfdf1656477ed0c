"""Prometheus metrics on every service (`GET /metrics`, the text format): HTTP request durations,
every consumer's wait and processing time by queue and outcome, in-flight refusals, and gauges a
service computes when scraped (its own queues' depth; the metrics service's per-queue figures).

Names and units follow the OpenTelemetry semantic conventions as Prometheus spells them
(`http_server_request_duration_seconds`, seconds throughout). The histograms live in the process's
default registry; the scrape-time gauges are built afresh for each scrape, so nothing is
registered twice however many apps a test process builds."""

import time
from collections.abc import Awaitable, Callable, Iterable, Sequence

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Seconds; from a fast read to a slow grading run.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

HTTP_DURATION = Histogram(
    "http_server_request_duration_seconds",
    "Duration of HTTP server requests.",
    ["http_request_method", "http_route", "http_response_status_code"],
    buckets=BUCKETS,
)
PROCESSING = Histogram(
    "gradeflow_consumer_processing_seconds",
    "Time a consumer took to settle a message (handler, retry or dead-lettering), by outcome.",
    ["queue", "outcome"],
    buckets=BUCKETS,
)
WAIT = Histogram(
    "gradeflow_consumer_wait_seconds",
    "Time a message waited from its publication until a consumer started on it.",
    ["queue"],
    buckets=(*BUCKETS, 600, 1800, 3600),
)
MESSAGES = Counter(
    "gradeflow_consumer_messages", "Messages settled by a consumer, by outcome.", ["queue", "outcome"]
)

PARKED = Counter(
    "gradeflow_outbox_parked",
    "Outbox rows the broker refused on their own (too large, unroutable): parked with the reason.",
    ["message_type"],
)

Gauges = Callable[[], Awaitable[Sequence[Metric]]]


class HttpMetrics:
    """ASGI middleware: each request's duration by method, route template and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            # The template, never the path: ids in paths would make a series per object.
            template = getattr(route, "path", None) or "unmatched"
            HTTP_DURATION.labels(scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )


class _Families(Collector):
    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


def metrics_router(gauges: Sequence[Gauges]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        fresh = CollectorRegistry(auto_describe=False)
        fresh.register(_Families([m for source in gauges for m in await source()]))
        body = generate_latest(REGISTRY) + generate_latest(fresh)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router

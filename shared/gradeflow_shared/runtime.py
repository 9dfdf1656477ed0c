"""The life of a service process, shared by all four: build engine, broker and outbox relay from
settings; on start connect, declare the topology, consume and relay; on SIGTERM stop consuming, let
in-flight messages finish (the graceful timeout), flush the outbox, close connections."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import asyncpg
from fastapi import APIRouter, FastAPI
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gradeflow_shared.broker import Publisher, declare_topology
from gradeflow_shared.db import SessionFactory, make_engine, make_sessions, ping
from gradeflow_shared.driver_unit import DriverUnitsOfWork
from gradeflow_shared.events import Event, JobsObserved
from gradeflow_shared.health import Check, health_router
from gradeflow_shared.http_errors import install_error_handlers
from gradeflow_shared.messaging import Messaging, MessagingPolicy
from gradeflow_shared.openapi import Rule, document_errors
from gradeflow_shared.outbox import OutboxRelay
from gradeflow_shared.overload import InFlightLimit
from gradeflow_shared.prometheus import Gauges, HttpMetrics, metrics_router
from gradeflow_shared.settings import ServiceSettings
from gradeflow_shared.telemetry import Telemetry
from gradeflow_shared.tracing import instrument_app, untraced_loop
from gradeflow_shared.unit_of_work import SqlUnitsOfWork

R = TypeVar("R")

# Young collections every 50,000 allocations instead of 700, older ones far more rarely: under load
# a request allocates thousands of objects, and with the default thresholds collections ran many
# times a second (the older ones walking most of the process's objects). Measured on the gateway
# at 1,000 submits/s: p95 103 → 31-38 ms, refusals 8 % → under 1 % (docs/benchmarks.md).
GC_THRESHOLDS = (50_000, 50, 100)


def settle_garbage_collector() -> None:
    """Once started: what start-up built (modules, app, pools) lives as long as the process, so it
    is frozen out of every later collection's walk; then the thresholds above apply."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@dataclass
class Runtime:
    messaging: Messaging
    publisher: Publisher
    engine: AsyncEngine
    sessions: SessionFactory
    relay: OutboxRelay
    settings: ServiceSettings
    kit: tuple[Table, Table]  # the service's outbox and inbox
    telemetry: Telemetry  # every consumer's job reports, published in the background
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _workers: list[tuple[Callable[[], Coroutine[Any, Any, None]], Callable[[], None]]] = field(
        default_factory=list
    )

    @classmethod
    def build(
        cls,
        settings: ServiceSettings,
        schema: str,
        outbox: Table,
        inbox: Table,
        publisher: Publisher | None = None,
    ) -> "Runtime":
        """`publisher`: tests may pass one that records instead of publishing."""
        engine = make_engine(
            settings.database_url, schema, settings.db_pool_size, pooled=settings.database_pooled
        )
        sessions = make_sessions(engine)
        publisher = publisher or Publisher(settings.amqp_url)
        relay = OutboxRelay(sessions, publisher, outbox, settings.outbox_poll_seconds)
        telemetry = Telemetry(publisher, max_wait=settings.telemetry_flush_seconds)
        policy = MessagingPolicy(
            retry_delays_ms=settings.retry_delays_ms,
            handler_timeout_seconds=settings.handler_timeout_seconds,
            prefetch=settings.prefetch,
        )
        messaging = Messaging.build(
            settings.amqp_url, publisher, policy, telemetry, settings.graceful_timeout_seconds
        )
        return cls(messaging, publisher, engine, sessions, relay, settings, (outbox, inbox), telemetry)

    def units_of_work(self, repos: Callable[[AsyncSession], R]) -> SqlUnitsOfWork[R]:
        """Units of work on the service's database, with `repos` on each one's session."""
        outbox, inbox = self.kit
        return SqlUnitsOfWork(self.sessions, repos, outbox, inbox, self.relay.wake)

    def driver_units_of_work(self, repos: Callable[[asyncpg.Connection], R]) -> DriverUnitsOfWork[R]:
        """Units of work on the driver itself (driver_unit.py), for a path run hundreds of times
        a second; on the same pool, outbox, inbox and relay as `units_of_work`."""
        outbox, inbox = self.kit
        return DriverUnitsOfWork(self.engine, repos, outbox, inbox, self.relay.wake)

    def consume(self, register: Callable[[Messaging], None]) -> None:
        """Let `register` add the service's subscribers (Messaging.add), with its messaging policy."""
        register(self.messaging)

    def alongside(self, run: Callable[[], Coroutine[Any, Any, None]], stop: Callable[[], None]) -> None:
        """A loop of the service's own (the notifier's senders) run while the service runs: started
        once consuming has, told to `stop` when consuming stops and awaited before the relay's last
        flush and the database's close."""
        self._workers.append((run, stop))

    def checks(self) -> dict[str, Check]:
        return {
            "broker": self.messaging.ping,
            "database": lambda: ping(self.engine),
        }

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        await declare_topology(self.settings.amqp_url, self.settings.retry_delays_ms)
        await self.publisher.connect()
        await self.messaging.start()
        self._tasks.append(asyncio.create_task(untraced_loop(self.relay.run), name="outbox-relay"))
        workers: list[asyncio.Task[None]] = [
            asyncio.create_task(untraced_loop(run)) for run, _ in self._workers
        ]
        settle_garbage_collector()
        try:
            yield
        finally:
            # Stop consuming and wait (graceful_timeout) for in-flight handlers; the relay still
            # runs meanwhile, then flushes what they staged before the connection closes.
            await self.messaging.stop()
            for _, stop in self._workers:
                stop()
            await asyncio.gather(*workers, return_exceptions=True)
            await self.relay.stop()
            await self.telemetry.close()
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.messaging.close()
            await self.publisher.close()
            await self.engine.dispose()

    def http_app(
        self,
        title: str,
        routers: Iterable[APIRouter] = (),
        error_table: dict[type[Exception], tuple[int, str]] | None = None,
        on_start: Iterable[Callable[[], Awaitable[None]]] = (),
        info: dict[str, Callable[[], str]] | None = None,
        on_stop: Iterable[Callable[[], Awaitable[None]]] = (),
        error_rules: Iterable[Rule] = (),
        gauges: Iterable[Gauges] | None = None,
        publishes: Sequence[type[Event]] = (),
    ) -> FastAPI:
        """The service's app; `on_start`: the service's own start-up work (a sandbox to prepare),
        done before it consumes anything; `on_stop`: its own shut-down work, once nothing is
        consumed or in flight; `info`: facts readiness reports (the sandbox's mode); `error_rules`:
        the service's own error statuses for its OpenAPI schema (openapi.py has the common ones);
        `gauges`: what `/metrics` computes when scraped (by default the depth of the queues the
        service consumes); `publishes`: the events it publishes, for its AsyncAPI document (job
        telemetry, which every consumer publishes, is added)."""

        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            for start in on_start:
                await start()
            try:
                async with self.running():
                    yield
            finally:
                for stop in on_stop:
                    await stop()

        app = FastAPI(title=title, version="0.1.0", lifespan=lifespan)
        app.add_middleware(InFlightLimit, limit=self.settings.max_in_flight)
        app.add_middleware(HttpMetrics)  # outermost: refusals are measured too
        app.state.runtime = self
        install_error_handlers(app, error_table or {})
        # Routes are matched in order: the service's own first, then health probes, and the
        # interactive docs (which FastAPI declares first) last.
        docs = list(app.router.routes)
        app.router.routes.clear()
        for router in routers:
            app.include_router(router)
        app.include_router(health_router(self.checks(), info or {}))
        app.include_router(
            metrics_router(list(gauges) if gauges is not None else [self.messaging.queue_gauges])
        )
        self.messaging.publishes((*publishes, *((JobsObserved,) if self.messaging.subscribed else ())))
        app.include_router(asyncapi_router(self.messaging, title.removeprefix("Gradeflow ")))
        app.router.routes.extend(docs)
        document_errors(app, *error_rules)
        instrument_app(app)
        return app


def asyncapi_router(messaging: Messaging, service: str) -> APIRouter:
    """`/asyncapi.json`: the service's AsyncAPI document, as FastStream generates it."""
    router = APIRouter(tags=["operations"])

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi() -> dict[str, Any]:
        return messaging.asyncapi_document(service)

    return router

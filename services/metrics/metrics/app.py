"""The metrics service's composition root; tests may pass their own units of work."""

from fastapi import FastAPI

from gradeflow_shared.broker import Publisher
from gradeflow_shared.runtime import Runtime
from metrics.adapters.broker_stats import BrokerStats
from metrics.adapters.db.repositories import SqlMetricsStore
from metrics.adapters.db.tables import SCHEMA, inbox, outbox
from metrics.adapters.dead_letters import DeadLetters
from metrics.handlers.http.dashboard import router as dashboard_router
from metrics.handlers.http.dead_letters import router as dead_letters_router
from metrics.handlers.http.edge import Edge
from metrics.handlers.http.gauges import queue_gauges
from metrics.handlers.http.routes import router as api_router
from metrics.handlers.messages import PUBLISHES, register
from metrics.settings import MetricsSettings
from metrics.usecases.monitor import Monitor
from metrics.usecases.ports import Units


def create_app(
    settings: MetricsSettings | None = None, units: Units | None = None, publisher: Publisher | None = None
) -> FastAPI:
    settings = settings or MetricsSettings()
    runtime = Runtime.build(settings, SCHEMA, outbox, inbox, publisher)
    tokens = settings.tokens()
    runtime.alongside(tokens.run, tokens.stop)  # an identity provider's keys kept fresh
    units = units or runtime.units_of_work(SqlMetricsStore)
    runtime.consume(lambda subs: register(subs, units))
    broker_stats = BrokerStats(settings.amqp_url, settings.rabbitmq_management_url)
    monitor = Monitor(units, broker_stats, settings.thresholds_for, settings.monitor())
    runtime.alongside(monitor.run, monitor.stop)
    app = runtime.http_app(
        "Gradeflow metrics",
        [api_router, dead_letters_router, dashboard_router],
        on_stop=[broker_stats.close],
        gauges=[queue_gauges(lambda: monitor.latest, monitor.active)],
        publishes=PUBLISHES,
    )
    app.state.edge = Edge(
        units=units,
        probe=broker_stats,
        dead_letters=DeadLetters(settings.amqp_url),
        tokens=tokens,
        retry_tiers=len(settings.retry_delays_ms),
        thresholds_for=settings.thresholds_for,
        stats_window_seconds=settings.stats_window_seconds,
        drain_target_seconds=settings.drain_target_seconds,
    )
    return app

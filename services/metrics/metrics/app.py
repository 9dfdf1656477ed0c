"""The metrics service's composition root."""

from fastapi import FastAPI
from gradeflow_shared.runtime import Runtime

from metrics.adapters.broker_stats import BrokerStats
from metrics.adapters.db.tables import SCHEMA, outbox
from metrics.handlers.http.routes import router as api_router
from metrics.handlers.messages import build_router
from metrics.settings import MetricsSettings


def create_app(settings: MetricsSettings | None = None) -> FastAPI:
    settings = settings or MetricsSettings()
    runtime = Runtime.build(settings, SCHEMA, outbox)
    runtime.broker.include_router(build_router(runtime.broker, runtime.sessions, settings.prefetch))
    app = runtime.http_app("Gradeflow metrics", [api_router])
    app.state.settings = settings
    app.state.broker_stats = BrokerStats(settings.amqp_url)
    return app

"""The metrics service's composition root."""

from fastapi import FastAPI

from gradeflow_shared.runtime import Runtime
from metrics.adapters.broker_stats import BrokerStats
from metrics.adapters.db.tables import SCHEMA, outbox
from metrics.adapters.dead_letters import DeadLetters
from metrics.domain.errors import NotFound
from metrics.handlers.http.dead_letters import router as dead_letters_router
from metrics.handlers.http.routes import router as api_router
from metrics.handlers.messages import register
from metrics.settings import MetricsSettings


def create_app(settings: MetricsSettings | None = None) -> FastAPI:
    settings = settings or MetricsSettings()
    runtime = Runtime.build(settings, SCHEMA, outbox)
    subs = runtime.subscriptions()
    register(subs, runtime.sessions)
    runtime.broker.include_router(subs.router)
    app = runtime.http_app(
        "Gradeflow metrics", [api_router, dead_letters_router], {NotFound: (404, "not_found")}
    )
    app.state.settings = settings
    app.state.broker_stats = BrokerStats(settings.amqp_url)
    app.state.dead_letters = DeadLetters(settings.amqp_url)
    return app

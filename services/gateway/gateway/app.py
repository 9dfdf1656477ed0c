"""The gateway's composition root: builds engine, broker, relay and routes; tests pass overrides."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway.adapters.db.tables import SCHEMA, outbox
from gateway.adapters.tokens import Tokens
from gateway.handlers.http.errors import ERROR_TABLE
from gateway.handlers.http.routes import router as api_router
from gateway.handlers.messages import build_router
from gateway.settings import GatewaySettings
from gateway.usecases.context import Context
from gradeflow_shared.broker import make_broker
from gradeflow_shared.db import make_engine, make_sessions
from gradeflow_shared.health import health_router
from gradeflow_shared.http_errors import install_error_handlers
from gradeflow_shared.outbox import OutboxRelay
from gradeflow_shared.runtime import Runtime


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    engine = make_engine(settings.database_url, SCHEMA)
    sessions = make_sessions(engine)
    broker = make_broker(settings.amqp_url, settings.graceful_timeout_seconds)
    relay = OutboxRelay(sessions, broker, outbox, settings.outbox_poll_seconds)
    ctx = Context(sessions=sessions, relay=relay)
    broker.include_router(build_router(broker, ctx, settings.prefetch))
    runtime = Runtime(broker=broker, engine=engine, relay=relay)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with runtime.running():
            yield

    app = FastAPI(title="Gradeflow gateway", version="0.1.0", lifespan=lifespan)
    app.state.context = ctx
    app.state.tokens = Tokens(settings.auth_secret, settings.token_ttl_seconds)
    app.state.runtime = runtime
    install_error_handlers(app, ERROR_TABLE)
    app.include_router(health_router(runtime.checks()))
    app.include_router(api_router)
    return app

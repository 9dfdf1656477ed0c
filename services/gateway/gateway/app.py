"""The gateway's composition root: builds the runtime, use-case context and routes."""

from fastapi import FastAPI

from gateway.adapters.db.tables import SCHEMA, outbox
from gateway.handlers.http.errors import ERROR_TABLE
from gateway.handlers.http.judge0 import router as judge0_router
from gateway.handlers.http.routes import router as api_router
from gateway.handlers.messages import register
from gateway.settings import GatewaySettings
from gateway.usecases.context import Context
from gradeflow_shared.auth import Tokens
from gradeflow_shared.runtime import Runtime


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    runtime = Runtime.build(settings, SCHEMA, outbox)
    ctx = Context(sessions=runtime.sessions, relay=runtime.relay)
    subs = runtime.subscriptions()
    register(subs, ctx)
    runtime.broker.include_router(subs.router)
    app = runtime.http_app("Gradeflow gateway", [api_router, judge0_router], ERROR_TABLE)
    app.state.context = ctx
    app.state.tokens = Tokens(settings.auth_secret, settings.token_ttl_seconds)
    return app

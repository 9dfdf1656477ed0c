"""The notifier's composition root."""

from fastapi import FastAPI

from gradeflow_shared.auth import Tokens, Unauthenticated
from gradeflow_shared.runtime import Runtime
from notifier.adapters.db.tables import SCHEMA, outbox
from notifier.domain.errors import NotFound
from notifier.handlers.http.routes import router as api_router
from notifier.handlers.messages import register
from notifier.settings import NotifierSettings

ERROR_TABLE: dict[type[Exception], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Unauthenticated: (401, "unauthenticated"),
}


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    runtime = Runtime.build(settings, SCHEMA, outbox)
    subs = runtime.subscriptions()
    register(subs, runtime.sessions)
    runtime.broker.include_router(subs.router)
    app = runtime.http_app("Gradeflow notifier", [api_router], ERROR_TABLE)
    app.state.tokens = Tokens(settings.auth_secret)
    return app

"""The notifier's composition root; tests may pass their own units of work."""

from fastapi import FastAPI

from gradeflow_shared.auth import Tokens, Unauthenticated
from gradeflow_shared.broker import Publisher
from gradeflow_shared.runtime import Runtime
from notifier.adapters.db.repositories import SqlNotifierStore
from notifier.adapters.db.tables import SCHEMA, inbox, outbox
from notifier.domain.errors import NotFound
from notifier.handlers.http.routes import router as api_router
from notifier.handlers.messages import register
from notifier.settings import NotifierSettings
from notifier.usecases.ports import Units

ERROR_TABLE: dict[type[Exception], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Unauthenticated: (401, "unauthenticated"),
}


def create_app(
    settings: NotifierSettings | None = None, units: Units | None = None, publisher: Publisher | None = None
) -> FastAPI:
    settings = settings or NotifierSettings()
    runtime = Runtime.build(settings, SCHEMA, outbox, inbox, publisher)
    units = units or runtime.units_of_work(SqlNotifierStore)
    runtime.consume(lambda subs: register(subs, units, settings.fanout_chunk_size))
    app = runtime.http_app("Gradeflow notifier", [api_router], ERROR_TABLE)
    app.state.units = units
    app.state.tokens = Tokens(settings.auth_secret)
    return app

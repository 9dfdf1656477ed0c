"""The notifier's composition root; tests may pass their own units of work."""

import asyncio

from fastapi import FastAPI

from gradeflow_shared.auth import Tokens, Unauthenticated
from gradeflow_shared.broker import Publisher
from gradeflow_shared.runtime import Runtime
from notifier.adapters.db.repositories import SqlNotifierStore
from notifier.adapters.db.tables import SCHEMA, inbox, outbox
from notifier.adapters.mail import SmtpMailer, render
from notifier.domain.errors import NotFound
from notifier.handlers.http.routes import router as api_router
from notifier.handlers.messages import register
from notifier.settings import NotifierSettings
from notifier.usecases.email import EmailDispatcher, EmailPolicy
from notifier.usecases.ports import Mailer, Units

ERROR_TABLE: dict[type[Exception], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Unauthenticated: (401, "unauthenticated"),
}


def create_app(
    settings: NotifierSettings | None = None,
    units: Units | None = None,
    publisher: Publisher | None = None,
    mailer: Mailer | None = None,
) -> FastAPI:
    settings = settings or NotifierSettings()
    runtime = Runtime.build(settings, SCHEMA, outbox, inbox, publisher)
    work = units or runtime.units_of_work(SqlNotifierStore)
    runtime.consume(lambda subs: register(subs, work, settings.fanout_chunk_size))
    smtp = SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        connections=settings.email_connections,
        per_second=settings.email_per_second,
        start_tls=settings.smtp_start_tls,
        username=settings.smtp_username,
        password=settings.smtp_password,
    )
    dispatcher = EmailDispatcher(
        work,
        mailer or smtp,
        render,
        EmailPolicy(
            batch=settings.email_batch,
            lease_seconds=settings.email_lease_seconds,
            retry_delays_seconds=settings.email_retry_delays_seconds,
        ),
    )
    tasks: list[asyncio.Task[None]] = []

    async def start_email() -> None:
        if settings.email_enabled:
            tasks.append(asyncio.create_task(dispatcher.run(), name="email-dispatcher"))

    async def stop_email() -> None:
        dispatcher.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        await smtp.close()

    app = runtime.http_app(
        "Gradeflow notifier", [api_router], ERROR_TABLE, on_start=[start_email], on_stop=[stop_email]
    )
    app.state.units = work
    app.state.tokens = Tokens(settings.auth_secret)
    return app

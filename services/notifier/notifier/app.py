"""The notifier's composition root; tests may pass their own units of work."""

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.broker import Publisher
from gradeflow_shared.runtime import Runtime
from gradeflow_shared.targets import TargetGuard
from notifier.adapters.db import repositories as sql
from notifier.adapters.db.due import DueDeliveries
from notifier.adapters.db.feed import PgInboxFeed
from notifier.adapters.db.tables import SCHEMA, inbox, outbox
from notifier.adapters.email_rate import SharedEmailRate
from notifier.adapters.mail import SmtpMailer, compose_digests
from notifier.adapters.mail import render as render_mail
from notifier.adapters.webhooks import WebhookSender
from notifier.adapters.webhooks import render as render_call
from notifier.domain.delivery import Mail, WebhookCall
from notifier.domain.errors import Invalid, TooManyStreams
from notifier.handlers.http.routes import router as api_router
from notifier.handlers.messages import PUBLISHES, register
from notifier.settings import NotifierSettings
from notifier.usecases.alerts import Operators
from notifier.usecases.deliveries import DeliveryPolicy, Dispatcher, one_each
from notifier.usecases.ports import NotifierRepos, Sender, Units

ERROR_TABLE: dict[type[Exception], tuple[int, str]] = {  # beside the common table (http_errors)
    Invalid: (422, "invalid"),
    TooManyStreams: (503, "too_many_streams"),
}


def sql_repos(session: AsyncSession, digest_window_seconds: float) -> NotifierRepos:
    """The notifier's repositories on one unit of work's session."""
    return NotifierRepos(
        people=sql.SqlPeople(session),
        inbox=sql.SqlInbox(session, digest_window_seconds),
        outgoing=sql.SqlOutgoing(session),
        preferences=sql.SqlPreferences(session),
        webhooks=sql.SqlWebhooks(session),
    )


def create_app(
    settings: NotifierSettings | None = None,
    units: Units | None = None,
    publisher: Publisher | None = None,
    mailer: Sender[Mail] | None = None,
    webhook_sender: Sender[WebhookCall] | None = None,
) -> FastAPI:
    settings = settings or NotifierSettings()
    runtime = Runtime.build(settings, SCHEMA, outbox, inbox, publisher)
    tokens = settings.tokens()
    runtime.alongside(tokens.run, tokens.stop)  # an identity provider's keys kept fresh
    work = units or runtime.units_of_work(lambda session: sql_repos(session, settings.digest_window_seconds))
    operators = Operators(settings.alert_emails, settings.alert_webhooks, settings.alert_webhook_secret)
    runtime.consume(lambda subs: register(subs, work, settings.fanout_chunk_size, operators))
    email_rate = (
        SharedEmailRate(
            settings.redis_url,
            settings.email_per_second,
            key=f"gradeflow:email-rate:{settings.deployment}",
        )
        if settings.redis_url
        else None
    )
    smtp = SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_from,
        connections=settings.email_connections,
        per_second=settings.email_per_second,
        start_tls=settings.smtp_start_tls,
        username=settings.smtp_username,
        password=settings.smtp_password,
        rate=email_rate,
    )
    guard = TargetGuard(settings.webhook_allow)
    hooks = WebhookSender(guard, timeout=settings.webhook_timeout_seconds)
    email_policy = DeliveryPolicy(
        batch=settings.email_batch,
        lease_seconds=settings.email_lease_seconds,
        retry_delays_seconds=settings.email_retry_delays_seconds,
    )
    hook_policy = DeliveryPolicy(batch=200, retry_delays_seconds=settings.webhook_retry_delays_seconds)
    dispatchers: list[Dispatcher[Mail] | Dispatcher[WebhookCall]] = [
        Dispatcher("webhook", work, webhook_sender or hooks, one_each(render_call), hook_policy)
    ]
    if settings.email_enabled:
        dispatchers.append(Dispatcher("email", work, mailer or smtp, one_each(render_mail), email_policy))
        dispatchers.append(Dispatcher("digest", work, mailer or smtp, compose_digests, email_policy))
    for dispatcher in dispatchers:
        runtime.alongside(dispatcher.run, dispatcher.stop)
    due = DueDeliveries(settings.database_url, {d.channel: d.wake for d in dispatchers})
    runtime.alongside(due.run, due.stop)
    feed = PgInboxFeed(settings.direct_database_url, settings.max_live_streams)
    runtime.alongside(feed.run, feed.stop)

    async def close_clients() -> None:
        await smtp.close()
        await hooks.close()
        if email_rate is not None:
            await email_rate.close()

    app = runtime.http_app(
        "Gradeflow notifier", [api_router], ERROR_TABLE, on_stop=[close_clients], publishes=PUBLISHES
    )
    app.state.units = work
    app.state.feed = feed
    app.state.live_ping_seconds = settings.live_ping_seconds
    app.state.webhook_guard = guard
    app.state.tokens = tokens
    return app

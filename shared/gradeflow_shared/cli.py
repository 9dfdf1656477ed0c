"""The command line every service exposes: `serve` (the default) and `migrate`."""

import asyncio
import importlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import typer
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from gradeflow_shared.broker import migrate_queues
from gradeflow_shared.logs import configure_logging
from gradeflow_shared.migrations import upgrade
from gradeflow_shared.provision import provision
from gradeflow_shared.settings import ServiceSettings
from gradeflow_shared.topology import ROUTES, Route
from gradeflow_shared.tracing import configure_tracing

_APP_ENV = "GRADEFLOW_WORKER_APP"


def worker_app() -> FastAPI:
    """The app of one worker process of `serve` (uvicorn calls it in each): logging and tracing
    set up there, then the service's own factory."""
    name, module, factory = os.environ[_APP_ENV].split(":")
    configure_logging(name, os.environ.get("LOG_LEVEL", "INFO"))
    configure_tracing(name)
    app: FastAPI = getattr(importlib.import_module(module), factory)()
    return app


def service_cli(
    name: str,
    load_settings: Callable[[], ServiceSettings],
    create_app: Callable[[], FastAPI],
) -> typer.Typer:
    """The service's command line; its migrations are where every service keeps them."""
    migrations = Path(str(importlib.import_module(name).__file__)).parent / "adapters" / "db" / "migrations"
    cli = typer.Typer(name=name, add_completion=False, no_args_is_help=False)

    @cli.callback(invoke_without_command=True)
    def main(ctx: typer.Context) -> None:
        if ctx.invoked_subcommand is None:
            serve()

    @cli.command()
    def serve() -> None:
        """Run the service: HTTP API, consumers and outbox relay, until SIGTERM or Ctrl-C."""
        settings = load_settings()
        # uvicorn re-raises SIGTERM after its graceful shutdown; turn that into a clean exit 0.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

        def run(app: FastAPI | str, **options: Any) -> None:
            uvicorn.run(
                app,
                host=settings.http_host,
                port=settings.http_port,
                log_config=None,
                timeout_graceful_shutdown=int(settings.graceful_timeout_seconds),
                # uvicorn trusts 127.0.0.1's X-Forwarded-For by default: only the proxies named.
                proxy_headers=bool(settings.trusted_proxies),
                forwarded_allow_ips=list(settings.trusted_proxies),
                **options,
            )

        if settings.http_workers == 1:
            configure_logging(name, settings.log_level)
            configure_tracing(name)
            run(create_app())
            return
        # Several processes on one socket (a pod with more cores): each builds the whole service
        # (its own pool, consumers and relay) through `worker_app`.
        os.environ[_APP_ENV] = f"{name}:{create_app.__module__}:{create_app.__qualname__}"
        run("gradeflow_shared.cli:worker_app", factory=True, workers=settings.http_workers)

    @cli.command()
    def migrate(
        admin_url: str = typer.Option(
            "",
            envvar="ADMIN_DATABASE_URL",
            help="A superuser URL; when given, the role, schema (and database) are created first.",
        ),
    ) -> None:
        """Create the service's role and schema (with --admin-url), upgrade to the latest revision,
        and declare again the service's queues declared otherwise before (broker.migrate_queues)."""
        settings = load_settings()
        url = settings.direct_database_url  # DDL and the migration lock: not through a pooler
        if admin_url:
            asyncio.run(provision(admin_url, url, name))
        upgrade(migrations, url, name)
        own = [route for route in ROUTES if route.queue.startswith(f"{name}.")]
        if moved := asyncio.run(_migrate_queues_alone(url, settings, own)):
            typer.echo(f"{name}: queues declared again: {', '.join(moved)}")
        typer.echo(f"{name}: migrated")

    return cli


async def _migrate_queues_alone(
    database_url: str, settings: ServiceSettings, routes: list[Route]
) -> list[str]:
    """broker.migrate_queues under a PostgreSQL advisory lock: the pods of a release migrate
    together, and one moving messages back must not meet another deleting the queue."""
    conn = await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext('gradeflow-queues'))")
        return await migrate_queues(settings.amqp_url, settings.retry_delays_ms, routes)
    finally:
        await conn.close()

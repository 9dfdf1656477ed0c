"""`make run`: migrate, start the four services as local processes, print the URLs; Ctrl-C stops."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import typer

from gradeflow_tools.stack import SERVICES, Stack, StackConfig, reachable

DEV_ADMIN = "admin@example.com"
HOW_TO_START = (
    "start them with `docker compose up -d rabbitmq postgres`, or your distribution's packages "
    "(e.g. `pg_ctlcluster 15 main start` and `rabbitmq-server -detached`)"
)


def _docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def _ensure_dependencies(config: StackConfig) -> None:
    missing = [
        name
        for name, url, port in (
            ("RabbitMQ", config.amqp_url, 5672),
            ("PostgreSQL", config.postgres_url, 5432),
        )
        if not reachable(url, port)
    ]
    if not missing:
        return
    if _docker_available():
        typer.echo(f"{' and '.join(missing)} not answering; starting them with docker compose")
        subprocess.run(["docker", "compose", "up", "-d", "rabbitmq", "postgres"], check=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if reachable(config.amqp_url, 5672) and reachable(config.postgres_url, 5432):
                return
            time.sleep(1)
    typer.echo(f"error: {' and '.join(missing)} not answering; {HOW_TO_START}", err=True)
    raise typer.Exit(1)


def _mail_sink(log_dir: Path) -> subprocess.Popen[bytes] | None:
    """The local SMTP sink on 1025 (the notifier's default), unless something answers there already
    (compose's mail catcher, say)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 1025)) == 0:
            return None
    log_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "gradeflow_tools.smtp_sink", "serve", "--port", "1025"]
    argv += ["--mbox", str(log_dir.parent / "mail.mbox")]
    return subprocess.Popen(argv, stdout=(log_dir / "smtp-sink.log").open("ab"), stderr=subprocess.STDOUT)


def run(
    log_dir: Path = typer.Option(Path(".run/logs"), help="Where each service logs"),
    migrate_only: bool = typer.Option(False, "--migrate-only", help="Migrate, then exit"),
) -> None:
    config = StackConfig.from_environment()
    # admin@example.com's development login carries the admin role (the operations APIs).
    extra = {"ADMIN_EMAILS": os.environ.get("ADMIN_EMAILS", json.dumps([DEV_ADMIN]))}
    # The services refuse to start without an explicit ENVIRONMENT; this command is development's.
    extra["ENVIRONMENT"] = os.environ.get("ENVIRONMENT", "development")
    # The metrics service's alerts mailed to the same operator (into the local mail sink).
    extra["ALERT_EMAILS"] = os.environ.get("ALERT_EMAILS", json.dumps([DEV_ADMIN]))
    config = StackConfig(config.amqp_url, config.postgres_url, log_dir=log_dir, extra_env=extra)
    _ensure_dependencies(config)
    stack = Stack(config)
    stack.migrate()
    if migrate_only:
        return

    def _stop(signum: int, _: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Explicit handlers: a runner started in the background inherits SIGINT ignored.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sink = _mail_sink(log_dir)
    try:
        stack.start()
        typer.echo(f"Gradeflow is running (logs in {log_dir}):")
        for service in SERVICES:
            typer.echo(f"  {service:9} {config.url(service)}   (docs: {config.url(service)}/docs)")
        if sink is not None:
            typer.echo(
                f"  mail      smtp://127.0.0.1:1025, kept in {log_dir.parent / 'mail.mbox'} "
                "(list: python -m gradeflow_tools.smtp_sink list)"
            )
        typer.echo(
            f"  log in    uv run gradeflow login you@example.com   (operations: gradeflow login {DEV_ADMIN})"
        )
        typer.echo(
            f"  dashboard {config.url('metrics')}/dashboard   (paste {DEV_ADMIN}'s token;"
            " Prometheus: /metrics on each service; AsyncAPI: /asyncapi.json)"
        )
        typer.echo("Ctrl-C stops all four.")
        while all(p.proc is not None and p.proc.poll() is None for p in stack.processes.values()):
            time.sleep(0.5)
        dead = [s for s, p in stack.processes.items() if p.proc and p.proc.poll() is not None]
        typer.echo(f"error: {', '.join(dead)} exited; see {log_dir}", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        typer.echo("stopping…")
    finally:
        codes = stack.stop()
        if sink is not None:
            sink.terminate()
            sink.wait(10)
        typer.echo("stopped: " + ", ".join(f"{s}={c}" for s, c in codes.items()))


def main() -> None:
    typer.run(run)


if __name__ == "__main__":
    main()

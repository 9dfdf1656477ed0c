"""The four services as local processes: environment per service, migrate, start, wait until
ready, stop (SIGTERM, then SIGKILL after a grace period). Used by `make run`, the end-to-end and
fault tests, and the benchmarks, so all three start the system the same way."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy.engine import make_url

SERVICES = ("gateway", "grader", "notifier", "metrics")
DEFAULT_PORTS = {"gateway": 8000, "grader": 8001, "notifier": 8002, "metrics": 8003}
DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672/"
DEFAULT_POSTGRES_URL = "postgresql://postgres@localhost:5432/gradeflow"


@dataclass(frozen=True)
class StackConfig:
    amqp_url: str = DEFAULT_AMQP_URL
    postgres_url: str = DEFAULT_POSTGRES_URL  # a superuser: creates roles, schemas, database
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    extra_env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    # Each service connects as `<role_prefix>_<service>`. Without a secret: the development
    # passwords (`<service>-dev`) and auth secret; with one (tests, benchmarks): passwords and an
    # auth secret of its own, which settings outside development insist on.
    role_prefix: str = "gradeflow"
    secret: str | None = None

    @classmethod
    def from_environment(cls) -> "StackConfig":
        return cls(
            amqp_url=os.environ.get("AMQP_URL", DEFAULT_AMQP_URL),
            postgres_url=os.environ.get("POSTGRES_URL", DEFAULT_POSTGRES_URL),
        )

    def database_url(self, service: str) -> str:
        """The service's own role on the shared database."""
        admin = make_url(self.postgres_url)
        password = f"{service}-dev" if self.secret is None else f"{self.secret}-{service}"
        url = admin.set(
            drivername="postgresql+asyncpg", username=f"{self.role_prefix}_{service}", password=password
        )
        return url.render_as_string(hide_password=False)

    def env(self, service: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "HTTP_"))}
        env.update(
            AMQP_URL=self.amqp_url,
            DATABASE_URL=self.database_url(service),
            HTTP_PORT=str(self.ports[service]),
            OTEL_SERVICE_NAME=service,
            PYTHONUNBUFFERED="1",
        )
        if service == "gateway":  # the inbox is served through the gateway
            env["NOTIFIER_URL"] = self.url("notifier")
        if service == "grader":  # it checks no token: it is given no secret to sign one with
            env.pop("AUTH_SECRET", None)
        elif self.secret is not None:
            env["AUTH_SECRET"] = self.secret
        if self.secret is not None:  # a stack of its own secret is a test's or a benchmark's
            env.setdefault("ENVIRONMENT", "test")
        env.update(self.extra_env)
        return env

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "localhost", parts.port or default_port), 2):
            return True
    except OSError:
        return False


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def migrate(config: StackConfig, service: str) -> None:
    subprocess.run(
        [sys.executable, "-m", service, "migrate", "--admin-url", config.postgres_url],
        env=config.env(service),
        check=True,
    )


class ServiceProcess:
    def __init__(self, config: StackConfig, service: str) -> None:
        self.config = config
        self.service = service
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out: int | object = subprocess.DEVNULL
        if self.config.log_dir is not None:
            self.config.log_dir.mkdir(parents=True, exist_ok=True)
            out = (self.config.log_dir / f"{self.service}.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.service, "serve"],
            env=self.config.env(self.service),
            stdout=out,  # type: ignore[arg-type]
            stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C reaches only the runner, which sends one SIGTERM to each.
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        url = f"{self.config.url(self.service)}/health/ready"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.service} exited with {self.proc.returncode}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.service} not ready after {timeout}s")

    def terminate(self) -> None:
        """SIGTERM once: the service stops consuming, finishes in-flight work, exits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, grace: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        try:
            return self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def stop(self, grace: float = 30.0) -> int | None:
        self.terminate()
        return self.wait(grace)

    def kill(self) -> None:
        """SIGKILL: the crash a fault test wants, with no chance to finish or clean up."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes = {s: ServiceProcess(config, s) for s in SERVICES}

    def migrate(self) -> None:
        for service in SERVICES:
            migrate(self.config, service)

    def start(self, timeout: float = 60.0) -> None:
        busy = [f"{s}:{p}" for s, p in self.config.ports.items() if port_in_use(p)]
        if busy:
            raise RuntimeError(f"ports already in use ({', '.join(busy)}): is Gradeflow running?")
        for process in self.processes.values():
            process.start()
        for process in self.processes.values():
            process.wait_ready(timeout)

    def stop(self) -> dict[str, int | None]:
        for process in self.processes.values():
            process.terminate()
        return {s: p.wait() for s, p in self.processes.items()}

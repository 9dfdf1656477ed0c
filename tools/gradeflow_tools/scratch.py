"""Scratch infrastructure on the real RabbitMQ and PostgreSQL: a vhost and a migrated database with
unique names, removed afterwards, so tests and benchmarks never touch a running development system."""

import asyncio
import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from gradeflow_shared.migrations import upgrade
from gradeflow_shared.provision import provision
from gradeflow_tools.stack import SERVICES, StackConfig

ROOT = Path(__file__).resolve().parents[2]  # the repository (tools/ is an editable member)
ADMIN_BASE = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


def amqp_base() -> str:
    """The broker scratch vhosts are made on: the development broker, or the node a parallel test
    worker started for itself (its `TEST_AMQP_URL`, `TEST_RABBITMQ_NODE`)."""
    return os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")


def rabbitmqctl(*args: str, timeout: float = 180) -> str:
    """`rabbitmqctl` against that broker."""
    node = os.environ.get("TEST_RABBITMQ_NODE")
    command = ["rabbitmqctl", "-q", *(["-n", node] if node else []), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout).stdout


def management_url() -> str:
    """That broker's management API (a worker's node sets `RABBITMQ_MANAGEMENT_URL`, which the
    metrics service reads too)."""
    return os.environ.get("RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672")


def migrations_of(service: str) -> Path:
    return ROOT / "services" / service / service / "adapters" / "db" / "migrations"


@dataclass(frozen=True)
class Infra:
    """A vhost, a database and the services' roles (`<database>_<service>`, with passwords and an
    auth secret of its own), never those of a development system on the same servers."""

    vhost: str
    database: str
    secret: str

    @property
    def amqp_url(self) -> str:
        return f"{amqp_base()}/{self.vhost}"

    @property
    def admin_url(self) -> str:
        return f"{ADMIN_BASE}/{self.database}"

    @property
    def sandbox_env(self) -> dict[str, str]:
        """A sandbox of the stack's own: its root, and a range of uids no other stack on the machine
        is likely to hold (two graders on one uid range make each other's forks fail)."""
        return {
            "SANDBOX_ROOT": f"/tmp/gradeflow-sandbox-{self.database}",
            "SANDBOX_UID_BASE": str(100_000 + 100 * secrets.randbelow(9_000)),
        }

    def stack_config(
        self,
        ports: dict[str, int] | None = None,
        postgres_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        **kw: object,
    ) -> StackConfig:
        return StackConfig(
            amqp_url=self.amqp_url,
            postgres_url=postgres_url or self.admin_url,
            ports=ports or {},
            role_prefix=self.database,
            secret=self.secret,
            extra_env={**self.sandbox_env, **(extra_env or {})},
            **kw,  # type: ignore[arg-type]
        )

    def database_url(self, service: str) -> str:
        return self.stack_config().database_url(service)


def migrate_all(infra: Infra) -> None:
    for service in SERVICES:
        url = infra.database_url(service)
        asyncio.run(provision(infra.admin_url, url, service))
        upgrade(migrations_of(service), url, service)


@contextmanager
def provisioned_infra(prefix: str = "gradeflow_test") -> Iterator[Infra]:
    tag = f"{prefix}_{uuid.uuid4().hex[:10]}"
    infra = Infra(vhost=tag, database=tag, secret=secrets.token_hex(16))
    rabbitmqctl("add_vhost", tag)
    rabbitmqctl("set_permissions", "-p", tag, "guest", ".*", ".*", ".*")
    try:
        migrate_all(infra)
        yield infra
    finally:
        rabbitmqctl("delete_vhost", tag)
        asyncio.run(_drop_database(tag))


async def _drop_database(name: str) -> None:
    """The database, then the roles made for it (they own nothing else)."""
    conn = await asyncpg.connect(f"{ADMIN_BASE}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for service in SERVICES:
            await conn.execute(f'DROP ROLE IF EXISTS "{name}_{service}"')
    finally:
        await conn.close()

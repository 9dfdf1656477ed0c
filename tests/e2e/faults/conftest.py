"""Fault tests run their own stack on their own vhost and database, with short retry tiers (so a
test waits seconds, not minutes), and reach PostgreSQL through a proxy they can cut."""

import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gradeflow_tools.scratch import Infra, provisioned_infra
from gradeflow_tools.smtp_sink import start
from gradeflow_tools.stack import SERVICES, Stack
from tests.support.smtp import FlakySink, free_port
from tests.support.tcp_proxy import TcpProxy

RETRY_DELAYS_MS = [500, 2000, 5000, 15000]
ONE_TEST = [{"stdin": "10\n", "expected_stdout": "55\n", "weight": 1, "hidden": False}]
LOAD = 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="package")
def fault_infra() -> Iterator[Infra]:
    with provisioned_infra("gradeflow_fault") as infra:
        yield infra


@pytest.fixture(scope="package")
def pg_proxy() -> Iterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 5432)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="package")
def fault_smtp() -> Iterator[FlakySink]:
    """The fault stack's mail server (counting per address, keeping no message)."""
    sink = FlakySink(keep=False)
    sink.port = free_port()
    controller = start(sink, sink.port)
    yield sink
    controller.stop()


@pytest.fixture(scope="package")
def fault_stack(
    fault_infra: Infra, pg_proxy: TcpProxy, fault_smtp: FlakySink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    logs: Path = tmp_path_factory.mktemp("fault-logs")
    config = fault_infra.stack_config(
        postgres_url=f"postgresql://postgres@127.0.0.1:{pg_proxy.port}/{fault_infra.database}",
        ports={s: _free_port() for s in SERVICES},
        extra_env={
            "ENVIRONMENT": "test",
            "RETRY_DELAYS_MS": json.dumps(RETRY_DELAYS_MS),
            "GRACEFUL_TIMEOUT_SECONDS": "10",
            "LOG_LEVEL": "WARNING",
            "SMTP_PORT": str(fault_smtp.port),
            "EMAIL_LEASE_SECONDS": "10",  # a killed notifier's batch is taken again within seconds
        },
        log_dir=logs,
    )
    stack = Stack(config)
    stack.start()
    yield stack
    codes = stack.stop()
    print(f"fault stack exit codes: {codes}; logs in {logs}")


@pytest.fixture(scope="package")
async def fault_gateway(fault_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fault_stack.config.url("gateway"), timeout=30) as client:
        yield client

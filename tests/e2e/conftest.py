"""The four services as real processes on free ports, on a vhost and database of their own: what
the in-process tests do elsewhere never reaches these services' queues, and the other way round."""

import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gradeflow_tools.smtp_sink import start
from gradeflow_tools.stack import SERVICES, Stack
from tests.support.infra import Infra, provisioned_infra
from tests.support.smtp import FlakySink

ADMIN = "ops@e2e.example.com"  # a dev login with the admin role


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """Overrides the suite's `infra` for the end-to-end tests: the stack's own."""
    with provisioned_infra("gradeflow_e2e") as value:
        yield value


@pytest.fixture(scope="session")
def mail() -> Iterator[FlakySink]:
    """The stack's mail server: every message kept, to be read by the tests."""
    sink = FlakySink()
    sink.port = _free_port()
    controller = start(sink, sink.port)
    yield sink
    controller.stop()


@pytest.fixture(scope="session")
def stack(infra: Infra, mail: FlakySink, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs: Path = tmp_path_factory.mktemp("service-logs")
    config = infra.stack_config(
        ports={s: _free_port() for s in SERVICES},
        extra_env={
            "ENVIRONMENT": "test",
            "GRACEFUL_TIMEOUT_SECONDS": "10",
            "ADMIN_EMAILS": json.dumps([ADMIN]),
            "SMTP_PORT": str(mail.port),
            "WEBHOOK_ALLOW": json.dumps(["127.0.0.1"]),  # the tests' receivers
        },
        log_dir=logs,
    )
    running = Stack(config)
    running.start()
    yield running
    codes = running.stop()
    for service in SERVICES:
        log = logs / f"{service}.log"
        if log.exists():
            print(f"--- {service} (exit {codes[service]}) last lines ---")
            print("\n".join(log.read_text(errors="replace").splitlines()[-5:]))


@pytest.fixture(scope="session")
async def gateway(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.config.url("gateway"), timeout=10) as client:
        yield client

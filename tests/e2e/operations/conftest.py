"""The operations tests run their own stack (its own vhost and database) with every service
exporting traces to an OTLP receiver on 127.0.0.1, operators' alerts going to a local SMTP sink,
and the alert thresholds at their defaults."""

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gradeflow_shared.auth import Tokens
from gradeflow_tools.scratch import Infra, provisioned_infra
from gradeflow_tools.smtp_sink import start
from gradeflow_tools.stack import SERVICES, Stack
from tests.support.otlp import OtlpReceiver, serving_otlp
from tests.support.smtp import FlakySink, free_port

OPERATOR = "oncall@ops.example.com"


@pytest.fixture(scope="package")
def ops_infra() -> Iterator[Infra]:
    with provisioned_infra("gradeflow_ops") as infra:
        yield infra


@pytest.fixture(scope="package")
def otlp() -> Iterator[OtlpReceiver]:
    with serving_otlp() as receiver:
        yield receiver


@pytest.fixture(scope="package")
def ops_smtp() -> Iterator[FlakySink]:
    sink = FlakySink()
    sink.port = free_port()
    controller = start(sink, sink.port)
    yield sink
    controller.stop()


@pytest.fixture(scope="package")
def ops_stack(
    ops_infra: Infra, otlp: OtlpReceiver, ops_smtp: FlakySink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    logs: Path = tmp_path_factory.mktemp("ops-logs")
    config = ops_infra.stack_config(
        ports={s: free_port() for s in SERVICES},
        extra_env={
            "ENVIRONMENT": "test",
            "GRACEFUL_TIMEOUT_SECONDS": "10",
            "SMTP_PORT": str(ops_smtp.port),
            "ALERT_EMAILS": json.dumps([OPERATOR]),
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # milliseconds: spans reach the receiver quickly
        },
        log_dir=logs,
    )
    stack = Stack(config)
    stack.start()
    yield stack
    codes = stack.stop()
    print(f"operations stack exit codes: {codes}; logs in {logs}")


@pytest.fixture(scope="package")
async def ops_gateway(ops_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=ops_stack.config.url("gateway"), timeout=30) as client:
        yield client


@pytest.fixture(scope="package")
async def ops_metrics(ops_stack: Stack, ops_infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    admin = {"Authorization": f"Bearer {Tokens(ops_infra.secret).issue(uuid.uuid4(), admin=True)}"}
    async with httpx.AsyncClient(
        base_url=ops_stack.config.url("metrics"), timeout=30, headers=admin
    ) as client:
        yield client

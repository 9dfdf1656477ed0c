from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.support.apps import serving
from tests.support.infra import Infra


def gateway_settings(infra: Infra, **changes: Any) -> GatewaySettings:
    """A gateway on this run's broker and database, with `changes` to its settings."""
    settings: dict[str, Any] = {
        "amqp_url": infra.amqp_url,
        "database_url": infra.database_url("gateway"),
        "environment": "test",
        "auth_secret": infra.secret,
        # Judge0 callbacks to the tests' receivers on 127.0.0.1: any gateway app of this run may
        # take a callback (they share the database and the queues), so each must allow them.
        "callback_allow": ("127.0.0.1",),
    }
    return GatewaySettings(**(settings | changes))


@pytest.fixture(scope="session")
async def gateway(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(gateway_settings(infra))) as client:
        yield client

from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.support.apps import serving
from tests.support.infra import Infra


@pytest.fixture(scope="session")
async def gateway(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    settings = GatewaySettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("gateway"),
        environment="test",
        auth_secret=infra.secret,
        # Judge0 callbacks to the tests' receivers on 127.0.0.1: any gateway app of this run may
        # take a callback (they share the database and the queues), so each must allow them.
        callback_allow=("127.0.0.1",),
    )
    async with serving(create_app(settings)) as client:
        yield client

"""Rate limits through the HTTP API, with the real Redis: the 101st code run in a minute is refused
429 with Retry-After and RateLimit-* headers, however long the hundred took — also when the runs
are spread over two gateway processes, which share one budget — another client keeps its own, the
window slides, and without Redis requests go through."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.support.api import login
from tests.support.apps import serving
from tests.support.infra import Infra
from tests.support.smtp import free_port

pytestmark = pytest.mark.integration
RUN = {"language": "python", "source": "print(1)"}


def _settings(infra: Infra, **extra: object) -> GatewaySettings:
    return GatewaySettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("gateway"),
        environment="test",
        auth_secret=infra.secret,
        **extra,
    )


@pytest.fixture
async def two_gateways(infra: Infra) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with serving(create_app(_settings(infra))) as one, serving(create_app(_settings(infra))) as two:
        yield one, two


async def test_the_101st_run_in_a_minute_is_refused_across_two_gateways(
    two_gateways: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    one, two = two_gateways
    _, auth = await login(one, "runner")
    _, other = await login(one, "other")
    answers = [await (one if i % 2 else two).post("/v1/runs", json=RUN, headers=auth) for i in range(100)]
    assert [a.status_code for a in answers] == [202] * 100
    assert [int(a.headers["ratelimit-remaining"]) for a in answers[:3]] == [99, 98, 97]
    assert answers[-1].headers["ratelimit-limit"] == "100"
    refused = await one.post("/v1/runs", json=RUN, headers=auth)
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1 and refused.headers["ratelimit-remaining"] == "0"
    assert refused.json()["error"] == "rate_limited"
    assert (await two.post("/v1/runs", json=RUN, headers=auth)).status_code == 429, "the same budget"
    assert (await two.post("/v1/runs", json=RUN, headers=other)).status_code == 202, "a budget each"
    assert (await one.get("/health/live")).status_code == 200


async def test_the_window_slides(infra: Infra) -> None:
    async with serving(create_app(_settings(infra, rate_limits={"runs": "2/1"}))) as client:
        _, auth = await login(client, "slide")
        statuses = [(await client.post("/v1/runs", json=RUN, headers=auth)).status_code for _ in range(3)]
        assert statuses == [202, 202, 429]
        await asyncio.sleep(1.1)  # two in any second: the first two have left the window
        assert (await client.post("/v1/runs", json=RUN, headers=auth)).status_code == 202


async def test_without_redis_requests_go_through(infra: Infra) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"
    async with serving(create_app(_settings(infra, redis_url=down, rate_limits={"runs": "1/60"}))) as client:
        _, auth = await login(client, f"no-redis-{uuid.uuid4().hex[:6]}")
        statuses = [(await client.post("/v1/runs", json=RUN, headers=auth)).status_code for _ in range(3)]
        assert statuses == [202, 202, 202]


async def test_junk_credentials_beside_a_valid_token_open_no_bucket_of_their_own(infra: Infra) -> None:
    """An unchecked X-API-Key, X-Auth-Token or forwarded address sent with a valid token, new on
    every request: the bucket is still the token's user's, and the 101st run is refused."""
    async with serving(create_app(_settings(infra))) as client:
        _, auth = await login(client, f"junk-{uuid.uuid4().hex[:6]}")
        statuses = []
        for i in range(101):
            junk = {
                "X-API-Key": f"gf_{i:08x}_junk{i}",
                "X-Auth-Token": f"junk-{i}",
                "X-Forwarded-For": f"10.0.{i // 250}.{i % 250}",
            }
            statuses.append((await client.post("/v1/runs", json=RUN, headers={**junk, **auth})).status_code)
        assert statuses == [202] * 100 + [429]


async def test_junk_credentials_alone_count_as_the_address(infra: Infra) -> None:
    """Without a valid credential a request is its address's, whatever key it makes up (refused
    at the door as unauthenticated: nothing of it is read or run)."""
    async with serving(create_app(_settings(infra, rate_limits={"runs": "3/60"}))) as client:
        statuses = [
            (await client.post("/v1/runs", json=RUN, headers={"X-API-Key": f"gf_{i:08x}_x"})).status_code
            for i in range(5)
        ]
        # (Other tests' anonymous runs from this address in the last minute may count too.)
        assert statuses.count(401) <= 3 and statuses[-2:] == [429, 429], statuses

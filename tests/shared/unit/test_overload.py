"""The in-flight bound: past it a request is refused at once with 503 and Retry-After, health
probes never; once requests finish, new ones are served again."""

import asyncio

import httpx
from fastapi import FastAPI

from gradeflow_shared.overload import InFlightLimit


def _app(release: asyncio.Event, limit: int) -> FastAPI:
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await release.wait()
        return {"done": True}

    @app.get("/health/live")
    async def live() -> dict[str, bool]:
        return {"live": True}

    app.add_middleware(InFlightLimit, limit=limit)
    return app


async def test_requests_past_the_bound_are_refused_at_once_and_health_is_not() -> None:
    release = asyncio.Event()
    app = _app(release, limit=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        held = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
        await asyncio.sleep(0.05)
        refused = await asyncio.wait_for(client.get("/slow"), 1)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert "overloaded" in refused.json()["detail"]
        assert (await client.get("/health/live")).status_code == 200
        release.set()
        assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
        assert (await client.get("/slow")).status_code == 200


async def test_no_bound_when_the_limit_is_zero() -> None:
    release = asyncio.Event()
    app = _app(release, limit=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        held = [asyncio.create_task(client.get("/slow")) for _ in range(20)]
        await asyncio.sleep(0.05)
        release.set()
        assert {r.status_code for r in await asyncio.gather(*held)} == {200}

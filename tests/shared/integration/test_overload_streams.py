"""The in-flight bound and live streams, on a real HTTP server (an in-process transport buffers a
response whole): a stream holds its place only until its answer starts, so open streams never
crowd out ordinary requests."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from gradeflow_shared.overload import InFlightLimit
from tests.support.apps import listening

pytestmark = pytest.mark.integration


async def test_open_streams_do_not_hold_places_once_their_answer_has_started() -> None:
    release = asyncio.Event()
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await release.wait()
        return {"done": True}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            yield b"event: hello\ndata: {}\n\n"
            await release.wait()

        return StreamingResponse(events(), media_type="text/event-stream")

    app.add_middleware(InFlightLimit, limit=1)
    async with listening(app) as url, httpx.AsyncClient(base_url=url, timeout=5) as client:
        streams = [await client.send(client.build_request("GET", "/stream"), stream=True) for _ in range(3)]
        assert [s.status_code for s in streams] == [200, 200, 200]
        served = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.1)
        refused = await client.get("/slow")  # the one place is the slow request's, not the streams'
        assert refused.status_code == 503
        release.set()
        assert (await served).status_code == 200
        for s in streams:
            await s.aclose()

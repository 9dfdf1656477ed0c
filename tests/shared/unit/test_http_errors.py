"""The HTTP error table: a dependency really unavailable is a 503 with Retry-After; any other
error — an OSError such as FileNotFoundError included — is a bug, a 500, never "retry shortly"."""

import httpx
import pytest
from fastapi import FastAPI

from gradeflow_shared.errors import Unavailable
from gradeflow_shared.http_errors import install_error_handlers


def _app(error: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app, {})

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return app


async def _status(error: Exception) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app(error), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/boom")


@pytest.mark.parametrize("error", [FileNotFoundError("/missing"), PermissionError("no"), KeyError("k")])
async def test_a_bug_is_a_500(error: Exception) -> None:
    response = await _status(error)
    assert response.status_code == 500 and response.json()["error"] == "internal"
    assert "Retry-After" not in response.headers


@pytest.mark.parametrize("error", [Unavailable("the database is unavailable"), ConnectionRefusedError()])
async def test_an_unreachable_dependency_is_a_503_to_retry(error: Exception) -> None:
    response = await _status(error)
    assert response.status_code == 503 and response.json()["error"] == "unavailable"
    assert response.headers["Retry-After"] == "2"


async def test_the_frameworks_own_refusals_come_in_the_same_shape_and_405_names_every_method() -> None:
    app = FastAPI()
    install_error_handlers(app, {})

    @app.get("/things")
    async def listing() -> list[str]:
        return []

    @app.post("/things")
    async def create(body: dict[str, str]) -> dict[str, str]:
        return body

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        refused = await client.request("OPTIONS", "/things")
        missing = await client.get("/nowhere")
        unreadable = await client.post(
            "/things", content=b"\xff\xfe", headers={"content-type": "application/json"}
        )
    assert refused.status_code == 405 and refused.json()["error"] == "method_not_allowed"
    assert set(refused.headers["Allow"].split(", ")) == {"GET", "POST"}, "both routes' methods"
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert unreadable.status_code in (400, 422) and set(unreadable.json()) == {"error", "message", "fields"}

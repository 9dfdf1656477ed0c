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

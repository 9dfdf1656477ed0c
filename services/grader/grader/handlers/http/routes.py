"""The grader's HTTP surface: the languages it runs, with their toolchain versions."""

from typing import Any

from fastapi import APIRouter, Request

from grader.usecases import languages

router = APIRouter(prefix="/v1", tags=["languages"])


@router.get("/languages")
async def list_languages(request: Request) -> list[dict[str, Any]]:
    return await languages.describe(request.app.state.toolchains)

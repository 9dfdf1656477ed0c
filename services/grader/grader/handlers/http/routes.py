"""The grader's HTTP surface: the languages it runs, with their toolchain versions."""

from typing import Any

from fastapi import APIRouter

from grader.adapters.toolchains import versions
from grader.domain.languages import LANGUAGES

router = APIRouter(prefix="/v1", tags=["languages"])


@router.get("/languages")
async def list_languages() -> list[dict[str, Any]]:
    found = await versions()
    return [
        {
            "id": lang.id,
            "name": lang.name,
            "version": found[lang.id],
            "source_file": lang.source_file,
            "compiled": lang.compile is not None,
        }
        for lang in LANGUAGES.values()
    ]

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
            # As Judge0 shows them: what runs, inside the sandbox (where /box is the submission).
            "compile_command": " ".join(lang.compile) if lang.compile else None,
            "run_command": " ".join(lang.run),
        }
        for lang in LANGUAGES.values()
    ]

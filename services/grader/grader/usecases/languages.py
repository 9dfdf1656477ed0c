"""The languages the grader runs, as its API shows them: with the installed toolchains' versions."""

from typing import Any

from grader.domain.languages import LANGUAGES
from grader.usecases.ports import Toolchains


async def describe(toolchains: Toolchains) -> list[dict[str, Any]]:
    found = await toolchains()
    return [
        {
            "id": lang.id,
            "name": lang.name,
            "version": found.get(lang.id, "unavailable"),
            "source_file": lang.source_file,
            # As Judge0 shows them: what runs, inside the sandbox (where /box is the submission).
            "compile_command": " ".join(lang.compile) if lang.compile else None,
            "run_command": " ".join(lang.run),
        }
        for lang in LANGUAGES.values()
    ]

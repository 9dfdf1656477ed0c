"""Toolchain versions, asked of each compiler or runtime once and remembered."""

import asyncio
import functools
import subprocess

from grader.domain.languages import LANGUAGES


@functools.cache
def _version(language_id: str) -> str:
    command = LANGUAGES[language_id].version_command
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (result.stdout or result.stderr).strip().splitlines()
    return text[0] if text else "unknown"


async def versions() -> dict[str, str]:
    found = await asyncio.gather(*(asyncio.to_thread(_version, lang) for lang in LANGUAGES))
    return dict(zip(LANGUAGES, found, strict=True))

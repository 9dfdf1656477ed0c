"""Judge0's informational routes under /judge0, as Judge0 CE 1.13.1 answers them, so its clients
(the official SDK reads `/languages` and `/config_info` before anything else, and `/about` for the
version that picks its language table) work unchanged. Only the run limits, the queue and the
languages come from this system; the rest describes what it is."""

import os
import platform
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from gateway.domain import judge0
from gateway.domain.errors import NotFound
from gateway.handlers.http.deps import Admin, Ctx, EdgeOf, edge_of
from gateway.handlers.http.judge0 import User
from gateway.usecases import runs
from gradeflow_shared.languages import BY_ID
from gradeflow_shared.openapi import errors
from gradeflow_shared.topology import GRADER_RUNS

router = APIRouter(prefix="/judge0", tags=["judge0"])
SANDBOX = (
    "Gradeflow's sandbox (bubblewrap namespaces, seccomp, cgroup v2 or v1 limits) in place of isolate;"
    " docs/sandbox.md"
)


def _language(judge0_id: int) -> dict[str, Any]:
    language = judge0.LANGUAGES[judge0_id]
    return {
        "id": judge0_id,
        "name": language.name,
        "is_archived": False,
        "source_file": BY_ID[language.id].source_file or None,  # 89: the program is its files
        "compile_cmd": None,  # the grader's own, not a client's to run
        "run_cmd": None,
    }


@router.get("/languages/all")
async def all_languages() -> list[dict[str, Any]]:
    """Every language, archived ones included (none are)."""
    return [
        {"id": i, "name": language.name, "is_archived": False}
        for i, language in sorted(judge0.LANGUAGES.items())
    ]


@router.get("/languages/{language_id}", responses=errors(404))
async def language(language_id: int) -> dict[str, Any]:
    if language_id not in judge0.LANGUAGES:
        raise NotFound(f"language with id {language_id} doesn't exist", field="language_id")
    return _language(language_id)


@router.get("/about")
async def about() -> dict[str, str]:
    return {
        "version": judge0.VERSION,
        "homepage": "https://github.com/gradeflow",
        "source_code": "https://github.com/gradeflow",
        "maintainer": "Gradeflow: the Judge0 CE API on Gradeflow's queue and grader",
    }


@router.get("/version", response_class=PlainTextResponse)
async def version() -> str:
    return judge0.VERSION


@router.get("/license", response_class=PlainTextResponse)
async def license_text() -> str:
    return "Gradeflow serves the Judge0 CE API; Judge0 itself is GPL-3.0, not part of this system."


@router.get("/isolate", response_class=PlainTextResponse)
async def isolate() -> str:
    return SANDBOX


@router.get("/config_info")
async def config_info(edge: EdgeOf) -> dict[str, Any]:
    return judge0.config(edge.max_run_backlog, edge.callback_tries, edge.callback_timeout_seconds)


@router.get("/system_info")
async def system_info(_: User) -> dict[str, Any]:
    """Judge0's description of its host, to a signed-in caller, without what would help an
    attacker (the kernel's release, the processor's model): the runs happen on the graders' hosts."""
    return {"Architecture": platform.machine(), "CPU(s)": str(os.cpu_count() or 0)}


@router.get("/workers")
async def workers(request: Request, _: User) -> list[dict[str, Any]]:
    """The run queue as the broker counts it (Judge0: its workers per queue)."""
    backlog = edge_of(request).context.backlog
    size = backlog.depths.get(GRADER_RUNS.queue, 0) if backlog is not None else 0
    consumers = backlog.consumers.get(GRADER_RUNS.queue, 0) if backlog is not None else 0
    working = min(size, consumers)
    return [
        {
            "queue": GRADER_RUNS.queue,
            "size": size,
            "available": consumers,
            "idle": consumers - working,
            "working": working,
            "paused": 0,
            "failed": 0,
        }
    ]


@router.get("/statistics", responses=errors(403))
async def statistics(ctx: Ctx, _: Admin) -> dict[str, Any]:
    """Judge0's statistics of the runs (admins only: Judge0 asks for X-Auth-User)."""
    found = await runs.statistics(ctx)
    now = datetime.now(UTC)
    by_id = {language.id: (i, language.name) for i, language in judge0.LANGUAGES.items()}
    statuses: dict[int, int] = {}
    for status, verdict, n in found["verdicts"]:
        sid = judge0.status_id(status, verdict, None)
        statuses[sid] = statuses.get(sid, 0) + n
    size = found["size_in_bytes"]
    return {
        "created_at": judge0.timestamp(now),
        "cached_until": judge0.timestamp(now),
        "submissions": found["submissions"],
        "languages": [
            {"language": {"id": by_id[lang][0], "name": by_id[lang][1]}, "count": n}
            for lang, n in found["languages"]
            if lang in by_id
        ],
        "statuses": [
            {"status": {"id": sid, "name": judge0.STATUSES[sid]}, "count": n}
            for sid, n in sorted(statuses.items())
        ],
        "database": {"size_pretty": f"{size / 1024 / 1024:.1f} MB", "size_in_bytes": size},
    }


@router.post("/authenticate", status_code=200)
async def authenticate(_: User) -> None:
    """Judge0's check of `X-Auth-Token` (a token or an API key here): 200, or 401."""


@router.post("/authorize", status_code=200)
async def authorize(_: User) -> None:
    """Judge0's `X-Auth-User` check: here the same credential decides (200, or 401/403)."""

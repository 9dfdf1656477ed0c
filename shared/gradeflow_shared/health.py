"""Liveness and readiness endpoints: live while the process runs, ready only when every dependency
(broker, database) answers within a short timeout — what Kubernetes probes and `make run` poll."""

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[object]]


def health_router(
    checks: dict[str, Check], info: dict[str, Callable[[], str]] | None = None, timeout: float = 2.0
) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @router.get("/health/ready")
    async def ready() -> JSONResponse:
        results = await asyncio.gather(*(_run(c, timeout) for c in checks.values()))
        report = dict(zip(checks, results, strict=True))
        ok = all(r == "ok" for r in results)
        facts = {name: fact() for name, fact in (info or {}).items()}
        return JSONResponse(
            {"status": "ready" if ok else "not_ready", "checks": report, **facts},
            status_code=200 if ok else 503,
        )

    return router


async def _run(check: Check, timeout: float) -> str:
    try:
        result = await asyncio.wait_for(check(), timeout)
    except Exception as exc:
        return f"failed: {type(exc).__name__}: {exc}"[:300]
    return "failed: not connected" if result is False else "ok"

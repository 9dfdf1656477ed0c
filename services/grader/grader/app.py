"""The grader's composition root: runtime, sandbox and subscribers; tests may pass a sandbox."""

from pathlib import Path

from fastapi import FastAPI

from gradeflow_shared.runtime import Runtime
from grader.adapters.db.tables import SCHEMA, outbox
from grader.adapters.sandbox import BwrapSandbox
from grader.domain.grading import Sandbox
from grader.handlers.http.routes import router as api_router
from grader.handlers.messages import register
from grader.settings import GraderSettings
from grader.usecases.grading import GraderContext


def create_app(settings: GraderSettings | None = None, sandbox: Sandbox | None = None) -> FastAPI:
    settings = settings or GraderSettings()
    runtime = Runtime.build(settings, SCHEMA, outbox)
    ctx = GraderContext(
        sessions=runtime.sessions,
        sandbox=sandbox
        or BwrapSandbox(
            Path(settings.sandbox_root),
            settings.sandbox_uid_base,
            settings.concurrency,
            zygote=settings.sandbox_fork_server,
        ),
        wake_relay=runtime.relay.wake,
        max_output_bytes=settings.max_output_bytes,
    )
    subs = runtime.subscriptions()
    register(subs, ctx, settings.concurrency)
    runtime.broker.include_router(subs.router)
    return runtime.http_app("Gradeflow grader", [api_router])

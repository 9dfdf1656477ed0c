"""The grader's composition root: runtime, sandbox, units of work and subscribers; tests may pass
their own sandbox, units of work or clock."""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from gradeflow_shared.broker import Publisher
from gradeflow_shared.runtime import Runtime
from grader.adapters.db.repositories import SqlGraderStore
from grader.adapters.db.tables import SCHEMA, inbox, outbox
from grader.adapters.resources import memory_limit_bytes
from grader.adapters.sandbox import BwrapSandbox
from grader.adapters.toolchains import versions
from grader.domain.capacity import memory_shortfall
from grader.domain.grading import Sandbox
from grader.handlers.http.routes import router as api_router
from grader.handlers.messages import PUBLISHES, register
from grader.settings import GraderSettings
from grader.usecases.live import LiveWork
from grader.usecases.ports import GraderContext, Units
from grader.usecases.self_test import SelfTestFailed, self_test


def create_app(
    settings: GraderSettings | None = None,
    sandbox: Sandbox | None = None,
    units: Units | None = None,
    clock: Callable[[], datetime] | None = None,
    publisher: Publisher | None = None,
) -> FastAPI:
    settings = settings or GraderSettings()
    runtime = Runtime.build(settings, SCHEMA, outbox, inbox, publisher)
    starting, stopping = [], []
    info: dict[str, Callable[[], str]] = {}
    if sandbox is None:
        bwrap = BwrapSandbox(
            Path(settings.sandbox_root),
            settings.sandbox_uid_base,
            settings.concurrency,
            zygote=settings.sandbox_fork_server,
            cgroup=settings.sandbox_cgroup,
            allow_no_cgroup=settings.sandbox_allow_no_cgroup,
            ready=settings.sandbox_ready,
            bwrap=settings.sandbox_bwrap,
        )
        starting.append(lambda: start_sandbox(bwrap, settings))
        stopping.append(bwrap.close)
        info["sandbox"] = lambda: bwrap.cgroups.describe()  # known once the sandbox has started
        sandbox = bwrap
    ctx = GraderContext(
        units=units or runtime.units_of_work(SqlGraderStore),
        sandbox=sandbox,
        max_output_bytes=settings.max_output_bytes,
        started_after=settings.started_after_seconds,
        live=LiveWork(settings.concurrency),
    )
    if clock is not None:
        ctx = replace(ctx, clock=clock)
    runtime.consume(lambda subs: register(subs, ctx, settings.concurrency, settings.submissions_ahead))
    app = runtime.http_app(
        "Gradeflow grader", [api_router], on_start=starting, info=info, on_stop=stopping, publishes=PUBLISHES
    )
    app.state.toolchains = versions
    return app


async def start_sandbox(sandbox: BwrapSandbox, settings: GraderSettings) -> None:
    """Start the sandbox, with the start-up checks first (GraderSettings.sandbox_self_test): refuse
    to consume, saying why, when the container's memory cannot hold its slots or a sandboxed
    program does not run bounded."""
    if settings.sandbox_self_test and (
        shortfall := memory_shortfall(settings.concurrency, memory_limit_bytes())
    ):
        raise SelfTestFailed(shortfall)
    await sandbox.start()
    if settings.sandbox_self_test:
        try:
            await self_test(sandbox)
        except SelfTestFailed:
            await sandbox.close()  # the sandboxes started ahead go with it
            raise

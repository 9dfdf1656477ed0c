"""The grader's typed settings (environment variables listed in docs/configuration.md)."""

from typing import ClassVar, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gradeflow_shared.settings import ServiceSettings
from grader.adapters.resources import default_concurrency


class GraderSettings(ServiceSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")
    verifies_tokens: ClassVar[bool] = False  # it serves no authenticated route

    http_port: int = Field(default=8001, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://gradeflow_grader:grader-dev@localhost:5432/gradeflow"
    # Submissions graded at once (sandbox slots); the submissions queue's prefetch is this plus
    # SUBMISSIONS_AHEAD: submissions taken ahead wait for a slot with their way in done (the run
    # recorded, the suite read), so a slot that comes free does not wait for the broker and the
    # database before it grades again. By default the whole cores of the container's CPU limit
    # (each sandbox may use one core: more slots than cores would turn throttling into false
    # Time Limit Exceeded verdicts).
    concurrency: int = Field(default_factory=default_concurrency, ge=1, le=64)
    submissions_ahead: int = Field(default=1, ge=0, le=64)
    # `grading.started` is announced once a submission has been grading this long: one graded
    # sooner goes from queued to graded with a message, a row and a transaction fewer on every
    # service it crosses. 0 announces every submission as its run is recorded.
    started_after_seconds: float = Field(default=0.5, ge=0, le=60)
    max_output_bytes: int = Field(default=64 * 1024, ge=1024)
    # The sandbox: its working directory, and the first of the unprivileged uids it runs code as
    # (one per concurrent submission: CONCURRENCY uids from SANDBOX_UID_BASE on).
    sandbox_root: str = "/tmp/gradeflow-sandbox"
    sandbox_bwrap: str = "/usr/bin/bwrap"
    sandbox_uid_base: int = Field(default=60_000, ge=1000)
    # Python tests forked from a fork server started once per submission (docs/sandbox.md).
    sandbox_fork_server: bool = True
    # Each sandbox's memory and processes are bounded by a cgroup of its own (docs/sandbox.md):
    # "auto" takes v2, else v1. Without a usable one the grader refuses to start, unless allowed.
    sandbox_cgroup: Literal["auto", "v2", "v1", "none"] = "auto"
    sandbox_allow_no_cgroup: bool = False
    # A sandbox started ahead for each slot, so that a run does not wait for its namespaces.
    sandbox_ready: bool = True
    # Before consuming: the container's memory holds CONCURRENCY slots at their largest limits
    # (domain/capacity.py), and a program runs in the sandbox and is bounded (usecases/self_test.py).
    # A grader that fails either refuses to start and says why.
    sandbox_self_test: bool = True

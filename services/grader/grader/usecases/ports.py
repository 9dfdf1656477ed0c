"""What the grader's use cases need from the outside: its store, the unit of work around it, the
sandbox (domain.grading.Sandbox) and a clock. Adapters implement them; unit tests pass fakes."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from gradeflow_shared.events import AssignmentPublished
from gradeflow_shared.unit_of_work import UnitOfWork, UnitsOfWork
from grader.domain.grading import Finished, Job, Outcome, RunStart, Sandbox, Suite
from grader.usecases.live import LiveWork
from grader.usecases.suites import SuiteCache


class GraderStore(Protocol):
    async def save_suite(self, event: AssignmentPublished) -> bool:
        """Copy a version of an assignment's suite; False when it or a later one was copied."""
        ...

    async def load_suite(self, assignment_id: UUID) -> Suite | None:
        """The newest version copied."""
        ...

    async def start_run(self, job: Job, suite_version: int) -> RunStart:
        """Record the job's run against this version, unless one was recorded before (a
        redelivery); what was there before."""
        ...

    async def finish_run(self, submission_id: UUID, suite_version: int, outcome: Outcome) -> Finished:
        """Store the outcome once, and say what the newest earlier version graded."""
        ...


Uow = UnitOfWork[GraderStore]
Units = UnitsOfWork[GraderStore]
Toolchains = Callable[[], Awaitable[dict[str, str]]]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class GraderContext:
    units: Units
    sandbox: Sandbox
    max_output_bytes: int
    # Seconds of grading after which `grading.started` is announced (0: as the run is recorded).
    started_after: float = 0.0
    clock: Callable[[], datetime] = field(default=_now)
    suites: SuiteCache = field(default_factory=SuiteCache)
    # Live work (submissions, runs) in hand; a regrade waits for a slot free of it.
    live: LiveWork = field(default_factory=LiveWork)

"""In-memory stand-ins for the grader's store and sandbox."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from gradeflow_shared.events import AssignmentPublished
from gradeflow_shared.limits import LIMIT_FIELDS, RunLimits
from grader.domain.errors import SandboxError
from grader.domain.grading import (
    PLAIN,
    Build,
    BuildOptions,
    Checker,
    CheckInput,
    Execution,
    Finished,
    Grade,
    Job,
    Limits,
    Outcome,
    RunStart,
    Suite,
    TestCase,
    regrade_of,
)
from tests.support.fakes import FakeUnits


class FakeGraderStore:
    def __init__(self) -> None:
        self.suites: dict[UUID, Suite] = {}
        self.runs: dict[tuple[UUID, int], dict[str, Any]] = {}  # (submission, version) → run

    async def save_suite(self, event: AssignmentPublished) -> bool:
        kept = self.suites.get(event.assignment_id)
        if kept is not None and kept.version >= event.suite_version:
            return False
        cases = [
            TestCase(
                t.test_id,
                t.position,
                t.stdin,
                t.expected_stdout,
                t.weight,
                t.hidden,
                t.comparison,
                t.tolerance,
            )
            for t in event.tests
        ]
        checker = Checker(event.checker.language, event.checker.source) if event.checker else None
        limits = RunLimits.model_validate(event.model_dump(include=set(LIMIT_FIELDS)))
        self.suites[event.assignment_id] = Suite(limits, checker, cases, event.suite_version)
        return True

    async def load_suite(self, assignment_id: UUID) -> Suite | None:
        return self.suites.get(assignment_id)

    def _finished(self, submission_id: UUID) -> dict[int, dict[str, Any]]:
        return {v: r for (s, v), r in self.runs.items() if s == submission_id and r["verdict"] is not None}

    async def start_run(self, job: Job, suite_version: int) -> RunStart:
        done = self._finished(job.submission_id)
        finished = any(v >= suite_version for v in done) if regrade_of(job) else bool(done)
        key = (job.submission_id, suite_version)
        if key in self.runs:
            return RunStart(fresh=False, finished=finished)
        self.runs[key] = {"assignment_id": job.assignment_id, "verdict": None}
        return RunStart(fresh=True, finished=finished)

    async def finish_run(self, submission_id: UUID, suite_version: int, outcome: Outcome) -> Finished:
        earlier = {v: r for v, r in self._finished(submission_id).items() if v < suite_version}
        last = earlier[max(earlier)] if earlier else None
        before = Grade(last["score"], last["verdict"]) if last else None
        run = self.runs[(submission_id, suite_version)]
        if run["verdict"] is not None:
            return Finished(False, before)
        grade = outcome.grade
        run.update(
            verdict=grade.verdict,
            score=grade.score,
            max_score=outcome.possible,
            results=list(outcome.results),
        )
        return Finished(True, before)


def ran(stdout: str = "", **kw: Any) -> Execution:
    return Execution(**{"exit_code": 0, "signal": None, "time_ms": 1.0, "stdout": stdout, "stderr": "", **kw})


@dataclass
class FakeSandbox:
    """Runs nothing: each stdin is answered by `program` (stdin → Execution); `failing` makes every
    preparation fail as a broken sandbox does; `compile_error` makes the build fail to compile;
    `seconds` is how long each batch of runs takes."""

    program: Callable[[str], Execution] = lambda stdin: ran(stdin)
    failing: bool = False
    compile_error: str | None = None
    seconds: float = 0.0  # how long each run takes
    limits_seen: list[Limits] = field(default_factory=list)
    disk_seen: list[int] = field(default_factory=list)  # what each build's compile may write
    live: set[str] = field(default_factory=set)
    _count: int = 0

    async def prepare(
        self,
        language_id: str,
        source: str,
        within: Build | None = None,
        how: BuildOptions = PLAIN,
    ) -> Build:
        if self.failing:
            raise SandboxError("bwrap: No permissions to create new namespace")
        self.disk_seen.append(how.disk_bytes)
        self._count += 1
        build = Build(
            language_id,
            f"/fake/{self._count}",
            60_000,
            self.compile_error,
            jobe=how.jobe,
            merge_stderr=how.merge_stderr,
        )
        self.live.add(build.path)
        return build

    async def run(self, build: Build, stdin: str, limits: Limits) -> Execution:
        return (await self.run_all(build, [stdin], limits))[0]

    async def run_all(self, build: Build, stdins: list[str], limits: Limits) -> list[Execution]:
        self.limits_seen.append(limits)
        await asyncio.sleep(self.seconds)
        return [self.program(stdin) for stdin in stdins]

    async def check_all(self, checker: Build, cases: list[CheckInput], limits: Limits) -> list[Execution]:
        return [ran(exit_code=0 if c.output.strip() == c.expected.strip() else 1) for c in cases]

    async def discard(self, build: Build) -> None:
        self.live.discard(build.path)


def fake_units() -> FakeUnits[FakeGraderStore]:
    return FakeUnits(FakeGraderStore())

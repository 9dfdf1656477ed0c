"""The grader's store on the real database: a run is recorded once and finished once, each in one
statement, whatever the redeliveries, and a finished run's test results are written with it; a
suite's later version replaces what is graded against, an earlier one arriving late changes
nothing, and a regrade is a run of its own that knows the grade before it."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.db import make_engine, make_sessions
from gradeflow_shared.events import (
    AssignmentPublished,
    SubmissionCreated,
    SubmissionRegradeRequested,
    TestCaseSpec,
    Verdict,
)
from grader.adapters.db.repositories import SqlGraderStore
from grader.adapters.db.tables import SCHEMA, runs, test_results
from grader.domain.grading import (
    Execution,
    Finished,
    Grade,
    Job,
    Outcome,
    RunStart,
    TestCase,
    TestResult,
)
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


@pytest.fixture
async def session(infra: Infra) -> AsyncIterator[AsyncSession]:
    engine = make_engine(infra.database_url("grader"), SCHEMA)
    try:
        async with make_sessions(engine)() as session:
            yield session
    finally:
        await engine.dispose()


def _job(submission: uuid.UUID, assignment: uuid.UUID, student: uuid.UUID, regrade: bool = False) -> Job:
    fields = {
        "submission_id": submission,
        "assignment_id": assignment,
        "course_id": uuid.uuid4(),
        "student_id": student,
        "language": "python",
        "source": "print(1)",
        "suite_version": 1,
    }
    if regrade:
        return SubmissionRegradeRequested(**fields, regrade_id=uuid.uuid4())
    return SubmissionCreated(**fields, created_at=datetime.now(UTC))


def _suite(assignment: uuid.UUID, version: int, tests: int) -> AssignmentPublished:
    return AssignmentPublished(
        assignment_id=assignment,
        course_id=uuid.uuid4(),
        title="t",
        suite_version=version,
        tests=tuple(
            TestCaseSpec(
                test_id=uuid.uuid4(), position=i, stdin="", expected_stdout="", weight=1, hidden=False
            )
            for i in range(tests)
        ),
    )


def _result(case: TestCase, verdict: Verdict) -> TestResult:
    execution = Execution(exit_code=0, signal=None, time_ms=1.5, stdout="", stderr="")
    return TestResult(case, verdict, execution)


async def test_a_run_is_recorded_once_and_finished_once(session: AsyncSession) -> None:
    store = SqlGraderStore(session)
    suite = AssignmentPublished(
        assignment_id=uuid.uuid4(),
        course_id=uuid.uuid4(),
        title="t",
        tests=tuple(
            TestCaseSpec(
                test_id=uuid.uuid4(), position=i, stdin="", expected_stdout="", weight=1, hidden=False
            )
            for i in range(2)
        ),
    )
    await store.save_suite(suite)
    loaded = await store.load_suite(suite.assignment_id)
    assert loaded is not None
    submission, student = uuid.uuid4(), uuid.uuid4()

    job = _job(submission, suite.assignment_id, student)
    assert await store.start_run(job, 1) == RunStart(fresh=True, finished=False)
    assert await store.start_run(job, 1) == RunStart(fresh=False, finished=False), "a redelivery"

    results = [_result(loaded.cases[0], "accepted"), _result(loaded.cases[1], "wrong_answer")]
    assert await store.finish_run(submission, 1, Outcome(Grade(1, "wrong_answer"), 2, results)) == Finished(
        True, None
    )
    again = await store.finish_run(submission, 1, Outcome(Grade(2, "accepted"), 2, results))
    assert again.stored is False, "finished once"
    assert await store.start_run(job, 1) == RunStart(fresh=False, finished=True)

    run = (await session.execute(select(runs).where(runs.c.submission_id == submission))).one()
    assert (run.verdict, run.score, run.max_score) == ("wrong_answer", 1, 2) and run.finished_at
    written = (
        await session.execute(
            select(test_results.c.test_id, test_results.c.verdict).where(
                test_results.c.submission_id == submission
            )
        )
    ).all()
    assert sorted((r.test_id, r.verdict) for r in written) == sorted(
        (r.case.test_id, r.verdict) for r in results
    )
    empty = uuid.uuid4()  # a run with no results (no tests) still finishes
    await store.start_run(_job(empty, suite.assignment_id, student), 1)
    assert (await store.finish_run(empty, 1, Outcome(Grade(0, "accepted"), 0, []))).stored
    count = select(func.count()).select_from(test_results).where(test_results.c.submission_id == empty)
    assert await session.scalar(count) == 0


async def test_versions_of_a_suite_and_a_regrade_of_each(session: AsyncSession) -> None:
    store = SqlGraderStore(session)
    assignment, submission, student = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert await store.save_suite(_suite(assignment, 1, 2))
    first = await store.load_suite(assignment)
    assert first is not None and (first.version, len(first.cases)) == (1, 2)
    live = _job(submission, assignment, student)
    await store.start_run(live, 1)
    graded = Grade(1, "wrong_answer")
    await store.finish_run(submission, 1, Outcome(graded, 2, [_result(first.cases[0], "accepted")]))

    assert await store.save_suite(_suite(assignment, 3, 3)), "a later version replaces"
    assert not await store.save_suite(_suite(assignment, 2, 1)), "an earlier one, late, does not"
    assert not await store.save_suite(_suite(assignment, 3, 3)), "nor the same one again"
    third = await store.load_suite(assignment)
    assert third is not None and (third.version, len(third.cases)) == (3, 3)

    assert await store.start_run(live, 3) == RunStart(fresh=True, finished=True), "live: graded once"
    regrade = _job(submission, assignment, student, regrade=True)
    assert await store.start_run(regrade, 3) == RunStart(fresh=False, finished=False)
    results = [_result(c, "accepted") for c in third.cases]
    done = await store.finish_run(submission, 3, Outcome(Grade(3, "accepted"), 3, results))
    assert done == Finished(True, graded), "the grade before it is the first version's"
    assert await store.start_run(regrade, 3) == RunStart(fresh=False, finished=True), "once per version"
    kept = (
        await session.execute(
            select(runs.c.suite_version, runs.c.score).where(runs.c.submission_id == submission)
        )
    ).all()
    assert sorted(kept) == [(1, 1), (3, 3)], "the first grade is kept beside the regrade"

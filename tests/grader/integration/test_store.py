"""The grader's store on the real database: a run is recorded once and finished once, each in one
statement, whatever the redeliveries, and a finished run's test results are written with it."""

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.db import make_engine, make_sessions
from gradeflow_shared.events import AssignmentPublished, TestCaseSpec
from grader.adapters.db.repositories import SqlGraderStore
from grader.adapters.db.tables import SCHEMA, runs, test_results
from grader.domain.grading import Execution, RunStart, TestCase, TestResult, Verdict
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

    start = (submission, suite.assignment_id, student, "python")
    assert await store.start_run(*start) == RunStart(fresh=True, finished=False)
    assert await store.start_run(*start) == RunStart(fresh=False, finished=False), "a redelivery"

    results = [_result(loaded.cases[0], "accepted"), _result(loaded.cases[1], "wrong_answer")]
    assert await store.finish_run(submission, "wrong_answer", 1, 2, results) is True
    assert await store.finish_run(submission, "accepted", 2, 2, results) is False, "finished once"
    assert await store.start_run(*start) == RunStart(fresh=False, finished=True)

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
    await store.start_run(empty, suite.assignment_id, student, "python")
    assert await store.finish_run(empty, "accepted", 0, 0, []) is True
    count = select(func.count()).select_from(test_results).where(test_results.c.submission_id == empty)
    assert await session.scalar(count) == 0

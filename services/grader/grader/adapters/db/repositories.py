"""The grader's repository on one unit of work's session; bulk writes are single multi-row
statements. Implements usecases.ports.GraderStore."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.events import AssignmentPublished
from gradeflow_shared.limits import LIMIT_FIELDS, RunLimits
from grader.adapters.db.tables import assignments, test_cases
from grader.domain.grading import Checker, RunStart, Suite, TestCase, TestResult

# A run recorded and what was there before, in one statement (the SELECTs see the table as it was
# before the INSERT: a run graded already is found finished, a fresh one is not).
_START_RUN = text(
    """
    WITH fresh AS (
        INSERT INTO runs (submission_id, assignment_id, student_id, language)
        VALUES (CAST(:submission_id AS uuid), CAST(:assignment_id AS uuid), CAST(:student_id AS uuid),
                :language)
        ON CONFLICT DO NOTHING
        RETURNING submission_id
    )
    SELECT EXISTS (SELECT 1 FROM fresh) AS fresh,
           EXISTS (SELECT 1 FROM runs WHERE submission_id = CAST(:submission_id AS uuid)
                   AND finished_at IS NOT NULL) AS finished
    """
)
# The outcome and each test's result in one statement, only if the run was not finished already;
# the results as arrays, compiled once (a multi-row VALUES was compiled anew for every submission).
_FINISH_RUN = text(
    """
    WITH done AS (
        UPDATE runs SET verdict = :verdict, score = :score, max_score = :max_score, finished_at = now()
        WHERE submission_id = CAST(:submission_id AS uuid) AND finished_at IS NULL
        RETURNING submission_id
    ), added AS (
        INSERT INTO test_results (submission_id, test_id, verdict, time_ms, exit_code)
        SELECT done.submission_id, r.test_id, r.verdict, r.time_ms, r.exit_code
        FROM done, unnest(
            CAST(:test_ids AS uuid[]), CAST(:verdicts AS text[]), CAST(:times_ms AS float8[]),
            CAST(:exit_codes AS int[])
        ) AS r(test_id, verdict, time_ms, exit_code)
    )
    SELECT count(*) FROM done
    """
)


class SqlGraderStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save_suite(self, event: AssignmentPublished) -> bool:
        """Copy an assignment's test suite; False when it was already copied (a redelivery)."""
        inserted = await self._session.execute(
            pg_insert(assignments)
            .values(
                id=event.assignment_id,
                course_id=event.course_id,
                **event.model_dump(include=set(LIMIT_FIELDS)),
                checker_language=event.checker.language if event.checker else None,
                checker_source=event.checker.source if event.checker else None,
            )
            .on_conflict_do_nothing()
            .returning(assignments.c.id)
        )
        if inserted.first() is None:
            return False
        if event.tests:
            await self._session.execute(
                insert(test_cases).values(
                    [
                        {
                            "assignment_id": event.assignment_id,
                            "id": t.test_id,
                            **t.model_dump(exclude={"test_id"}),
                        }
                        for t in event.tests
                    ]
                )
            )
        return True

    async def load_suite(self, assignment_id: UUID) -> Suite | None:
        assignment = (
            await self._session.execute(select(assignments).where(assignments.c.id == assignment_id))
        ).first()
        if assignment is None:
            return None
        rows = (
            await self._session.execute(
                select(test_cases)
                .where(test_cases.c.assignment_id == assignment_id)
                .order_by(test_cases.c.position)
            )
        ).all()
        cases = [
            TestCase(
                r.id, r.position, r.stdin, r.expected_stdout, r.weight, r.hidden, r.comparison, r.tolerance
            )
            for r in rows
        ]
        checker = None
        if assignment.checker_language is not None:
            checker = Checker(assignment.checker_language, assignment.checker_source)
        limits = RunLimits.model_validate({f: getattr(assignment, f) for f in LIMIT_FIELDS})
        return Suite(limits, checker, cases)

    async def start_run(
        self, submission_id: UUID, assignment_id: UUID, student_id: UUID, language: str
    ) -> RunStart:
        params = {
            "submission_id": submission_id,
            "assignment_id": assignment_id,
            "student_id": student_id,
            "language": language,
        }
        row = (await self._session.execute(_START_RUN, params)).one()
        return RunStart(fresh=row.fresh, finished=row.finished)

    async def finish_run(
        self,
        submission_id: UUID,
        verdict: str,
        earned: int,
        possible: int,
        results: Sequence[TestResult],
    ) -> bool:
        """Store the outcome once; False if another worker finished this run first."""
        params = {
            "submission_id": submission_id,
            "verdict": verdict,
            "score": earned,
            "max_score": possible,
            "test_ids": [r.case.test_id for r in results],
            "verdicts": [r.verdict for r in results],
            "times_ms": [r.execution.time_ms for r in results],
            "exit_codes": [r.execution.exit_code for r in results],
        }
        return bool(await self._session.scalar(_FINISH_RUN, params))

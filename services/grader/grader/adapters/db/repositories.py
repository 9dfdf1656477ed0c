"""The grader's repository on one unit of work's session; bulk writes are single multi-row
statements. Implements usecases.ports.GraderStore."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.events import AssignmentPublished
from gradeflow_shared.limits import LIMIT_FIELDS, RunLimits
from grader.adapters.db.tables import assignments, runs, test_cases, test_results
from grader.domain.grading import Checker, Suite, TestCase, TestResult


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

    async def run_finished(self, submission_id: UUID) -> bool:
        row = (
            await self._session.execute(
                select(runs.c.finished_at).where(runs.c.submission_id == submission_id)
            )
        ).first()
        return row is not None and row.finished_at is not None

    async def start_run(
        self, submission_id: UUID, assignment_id: UUID, student_id: UUID, language: str
    ) -> bool:
        """Record the run; False if one was already started (a redelivery after a crash mid-grade)."""
        result = await self._session.execute(
            pg_insert(runs)
            .values(
                submission_id=submission_id,
                assignment_id=assignment_id,
                student_id=student_id,
                language=language,
            )
            .on_conflict_do_nothing()
            .returning(runs.c.submission_id)
        )
        return result.first() is not None

    async def finish_run(
        self,
        submission_id: UUID,
        verdict: str,
        earned: int,
        possible: int,
        results: Sequence[TestResult],
    ) -> bool:
        """Store the outcome once; False if another worker finished this run first."""
        result = await self._session.execute(
            update(runs)
            .where(runs.c.submission_id == submission_id, runs.c.finished_at.is_(None))
            .values(verdict=verdict, score=earned, max_score=possible, finished_at=func.now())
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            return False
        if results:
            await self._session.execute(
                insert(test_results).values(
                    [
                        {
                            "submission_id": submission_id,
                            "test_id": r.case.test_id,
                            "verdict": r.verdict,
                            "time_ms": r.execution.time_ms,
                            "exit_code": r.execution.exit_code,
                        }
                        for r in results
                    ]
                )
            )
        return True

"""The grader's queries, through the caller's session; bulk writes are single multi-row statements."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gradeflow_shared.events import AssignmentPublished
from grader.adapters.db.tables import assignments, runs, test_cases, test_results
from grader.domain.grading import TestCase, TestResult


async def save_suite(session: AsyncSession, event: AssignmentPublished) -> bool:
    """Copy an assignment's test suite; False when it was already copied (a redelivery)."""
    inserted = await session.execute(
        pg_insert(assignments)
        .values(
            id=event.assignment_id,
            course_id=event.course_id,
            time_limit_ms=event.time_limit_ms,
            memory_limit_mb=event.memory_limit_mb,
            max_processes=event.max_processes,
            max_output_kb=event.max_output_kb,
            wall_limit_ms=event.wall_limit_ms,
            max_file_kb=event.max_file_kb,
            stack_limit_mb=event.stack_limit_mb,
            checker_language=event.checker.language if event.checker else None,
            checker_source=event.checker.source if event.checker else None,
        )
        .on_conflict_do_nothing()
        .returning(assignments.c.id)
    )
    if inserted.first() is None:
        return False
    if event.tests:
        await session.execute(
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


async def load_suite(session: AsyncSession, assignment_id: UUID) -> tuple[Row[Any], list[TestCase]] | None:
    assignment = (await session.execute(select(assignments).where(assignments.c.id == assignment_id))).first()
    if assignment is None:
        return None
    rows = (
        await session.execute(
            select(test_cases)
            .where(test_cases.c.assignment_id == assignment_id)
            .order_by(test_cases.c.position)
        )
    ).all()
    cases = [
        TestCase(r.id, r.position, r.stdin, r.expected_stdout, r.weight, r.hidden, r.comparison, r.tolerance)
        for r in rows
    ]
    return assignment, cases


async def run_finished(session: AsyncSession, submission_id: UUID) -> bool:
    row = (
        await session.execute(select(runs.c.finished_at).where(runs.c.submission_id == submission_id))
    ).first()
    return row is not None and row.finished_at is not None


async def start_run(
    session: AsyncSession, submission_id: UUID, assignment_id: UUID, student_id: UUID, language: str
) -> bool:
    """Record the run; False if one was already started (a redelivery after a crash mid-grade)."""
    result = await session.execute(
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
    session: AsyncSession,
    submission_id: UUID,
    verdict: str,
    earned: int,
    possible: int,
    results: Sequence[TestResult],
) -> bool:
    """Store the outcome once; False if another worker finished this run first."""
    result = await session.execute(
        update(runs)
        .where(runs.c.submission_id == submission_id, runs.c.finished_at.is_(None))
        .values(verdict=verdict, score=earned, max_score=possible, finished_at=func.now())
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        return False
    if results:
        await session.execute(
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

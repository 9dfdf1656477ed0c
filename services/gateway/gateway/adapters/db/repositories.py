"""The gateway's queries: each does one round trip, through the caller's session (unit of work)."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.adapters.db.tables import (
    assignments,
    courses,
    enrollments,
    submissions,
    test_cases,
    users,
)
from gradeflow_shared.ids import new_id


async def upsert_user(session: AsyncSession, email: str, name: str) -> Row[Any]:
    stmt = (
        pg_insert(users)
        .values(id=new_id(), email=email.lower(), name=name)
        .on_conflict_do_update(index_elements=[users.c.email], set_={"name": name})
        .returning(users)
    )
    row: Row[Any] = (await session.execute(stmt)).one()
    return row


async def get_user(session: AsyncSession, user_id: UUID) -> Row[Any] | None:
    return (await session.execute(select(users).where(users.c.id == user_id))).first()


async def add_course(session: AsyncSession, title: str, teacher_id: UUID) -> Row[Any]:
    stmt = insert(courses).values(id=new_id(), title=title, created_by=teacher_id).returning(courses)
    row: Row[Any] = (await session.execute(stmt)).one()
    return row


async def get_course(session: AsyncSession, course_id: UUID) -> Row[Any] | None:
    return (await session.execute(select(courses).where(courses.c.id == course_id))).first()


async def upsert_enrollment(
    session: AsyncSession, course_id: UUID, user_id: UUID, role: str, student_id: UUID | None
) -> Row[Any]:
    values = {"role": role, "student_id": student_id}
    stmt = (
        pg_insert(enrollments)
        .values(course_id=course_id, user_id=user_id, **values)
        .on_conflict_do_update(index_elements=[enrollments.c.course_id, enrollments.c.user_id], set_=values)
        .returning(enrollments)
    )
    row: Row[Any] = (await session.execute(stmt)).one()
    return row


async def enrollment(session: AsyncSession, course_id: UUID, user_id: UUID) -> Row[Any] | None:
    stmt = select(enrollments).where(enrollments.c.course_id == course_id, enrollments.c.user_id == user_id)
    return (await session.execute(stmt)).first()


async def add_assignment(session: AsyncSession, course_id: UUID, fields: dict[str, Any]) -> Row[Any]:
    """`fields`: title, time and memory limits, max processes, max output."""
    stmt = insert(assignments).values(id=new_id(), course_id=course_id, **fields).returning(assignments)
    row: Row[Any] = (await session.execute(stmt)).one()
    return row


async def add_test_cases(
    session: AsyncSession, assignment_id: UUID, tests: Sequence[dict[str, Any]]
) -> Sequence[Row[Any]]:
    rows = [
        {"id": new_id(), "assignment_id": assignment_id, "position": i, **t}
        for i, t in enumerate(tests, start=1)
    ]
    # One multi-row statement, not a round trip per test.
    result = await session.execute(insert(test_cases).values(rows).returning(test_cases))
    return sorted(result.all(), key=lambda r: r.position)


async def get_assignment(session: AsyncSession, assignment_id: UUID) -> Row[Any] | None:
    stmt = select(assignments).where(assignments.c.id == assignment_id)
    return (await session.execute(stmt)).first()


async def list_test_cases(session: AsyncSession, assignment_id: UUID) -> Sequence[Row[Any]]:
    stmt = (
        select(test_cases).where(test_cases.c.assignment_id == assignment_id).order_by(test_cases.c.position)
    )
    return (await session.execute(stmt)).all()


async def add_submission(
    session: AsyncSession, student_id: UUID, assignment_id: UUID, language: str, source: str
) -> Row[Any]:
    stmt = (
        insert(submissions)
        .values(
            id=new_id(),
            assignment_id=assignment_id,
            student_id=student_id,
            language=language,
            source=source,
            status="queued",
        )
        .returning(submissions)
    )
    row: Row[Any] = (await session.execute(stmt)).one()
    return row


async def get_submission(session: AsyncSession, submission_id: UUID) -> Row[Any] | None:
    stmt = (
        select(submissions, assignments.c.course_id)
        .join(assignments)
        .where(submissions.c.id == submission_id)
    )
    return (await session.execute(stmt)).first()


async def advance_submission(
    session: AsyncSession, submission_id: UUID, allowed_from: Sequence[str], **values: Any
) -> int:
    """Move a submission forward; statuses not in `allowed_from` are left alone (late events)."""
    stmt = (
        update(submissions)
        .where(submissions.c.id == submission_id, submissions.c.status.in_(allowed_from))
        .values(updated_at=func.now(), **values)
    )
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]

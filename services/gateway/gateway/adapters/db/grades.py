"""Grades beyond the first: regrades and their progress, a teacher's overrides, each submission's
grade history, and the course's gradebook. Implements usecases.ports.Grades."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, and_, case, func, select, text, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gateway.adapters.db.repositories import _Repository
from gateway.adapters.db.tables import (
    assignments,
    enrollments,
    grade_history,
    regrade_items,
    regrades,
    submissions,
    users,
)
from gateway.domain.records import GradeHistoryLine
from gradeflow_shared.ids import new_id

# Each student's chosen submission of an assignment: the newest, or the best scored (then newest).
_NEWEST = (submissions.c.created_at.desc(), submissions.c.id.desc())
RANKING = {"latest": _NEWEST, "best": (submissions.c.score.desc().nulls_last(), *_NEWEST)}
# In the gradebook, "best" is by the grade the student has (a teacher's override counts).
GRADE = case(
    (submissions.c.override_score.is_not(None), submissions.c.override_score), else_=submissions.c.score
)
BOOK_RANKING = {"latest": _NEWEST, "best": (GRADE.desc().nulls_last(), *_NEWEST)}

_TAKE_UNSENT = text(
    """
    WITH next AS (
        SELECT regrade_id, submission_id FROM regrade_items WHERE sent_at IS NULL
        ORDER BY regrade_id, submission_id LIMIT :limit FOR UPDATE SKIP LOCKED
    ), marked AS (
        UPDATE regrade_items i SET sent_at = now() FROM next
        WHERE i.regrade_id = next.regrade_id AND i.submission_id = next.submission_id
        RETURNING i.regrade_id, i.submission_id
    )
    SELECT m.regrade_id, m.submission_id, r.suite_version, r.assignment_id, a.course_id, s.student_id,
        s.language, s.source, s.override_score
    FROM marked m
    JOIN regrades r ON r.id = m.regrade_id
    JOIN assignments a ON a.id = r.assignment_id
    JOIN submissions s ON s.id = m.submission_id
    """
)

# The items one statement writes: a regrade of a hundred thousand goes in slices.
ITEMS_PER_STATEMENT = 5_000


class SqlGrades(_Repository):
    async def regrade_of(
        self, assignment_id: UUID, suite_version: int, scope: str, submission_id: UUID | None
    ) -> Row[Any] | None:
        """The regrade asked before for this version and scope (of this submission), if any."""
        r = regrades.c
        one = r.submission_id.is_(None) if submission_id is None else r.submission_id == submission_id
        stmt = select(regrades).where(
            r.assignment_id == assignment_id, r.suite_version == suite_version, r.scope == scope, one
        )
        return (await self._session.execute(stmt)).first()

    async def regrade_targets(self, assignment_id: UUID, scope: str) -> Sequence[Row[Any]]:
        """The submissions a regrade of the assignment takes (their ids: the feeder reads the rest a
        slice at a time): all, or each student's latest or best."""
        c = submissions.c
        stmt = select(c.id).where(c.assignment_id == assignment_id)
        if scope in RANKING:
            stmt = stmt.ext(distinct_on(c.student_id)).order_by(c.student_id, *RANKING[scope])
        return await self._all(stmt)

    async def add_regrade(self, fields: dict[str, Any], submission_ids: Sequence[UUID]) -> Row[Any]:
        added = pg_insert(regrades).values(id=new_id(), total=len(submission_ids), **fields)
        row: Row[Any] = (await self._session.execute(added.returning(regrades))).one()
        ids = list(submission_ids)
        for start in range(0, len(ids), ITEMS_PER_STATEMENT):
            # Arrays: one statement (prepared once) however many items.
            await self._session.execute(
                text(
                    "INSERT INTO regrade_items (regrade_id, submission_id) "
                    "SELECT CAST(:regrade AS uuid), unnest(CAST(:ids AS uuid[]))"
                ),
                {"regrade": row.id, "ids": ids[start : start + ITEMS_PER_STATEMENT]},
            )
        return row

    async def take_unsent(self, limit: int) -> Sequence[Row[Any]]:
        """Up to `limit` regrade items not yet sent, marked sent, with what their event carries
        (skipping those another replica is taking)."""
        return (await self._session.execute(_TAKE_UNSENT, {"limit": limit})).all()

    async def get_regrade(self, regrade_id: UUID) -> Row[Any] | None:
        stmt = select(regrades, assignments.c.course_id).join(assignments).where(regrades.c.id == regrade_id)
        return (await self._session.execute(stmt)).first()

    async def regrade_done(self, regrade_id: UUID, suite_version: int) -> int:
        """How many of the regrade's submissions a version this one or later has graded."""
        stmt = (
            select(func.count())
            .select_from(regrade_items.join(submissions, submissions.c.id == regrade_items.c.submission_id))
            .where(
                regrade_items.c.regrade_id == regrade_id,
                submissions.c.status == "graded",
                func.coalesce(submissions.c.suite_version, 1) >= suite_version,
            )
        )
        return int(await self._session.scalar(stmt) or 0)

    async def set_override(
        self, submission_id: UUID, score: int | None, reason: str | None, by: UUID
    ) -> None:
        """A teacher's grade (None: taken back), with its line in the history."""
        await self._session.execute(
            update(submissions)
            .where(submissions.c.id == submission_id)
            .values(
                override_score=score,
                override_reason=reason,
                override_by=by if score is not None else None,
                override_at=func.now() if score is not None else None,
                updated_at=func.now(),
            )
        )
        await self._session.execute(
            grade_history.insert().values(
                submission_id=submission_id,
                kind="override" if score is not None else "override_removed",
                score=score,
                by_user=by,
                reason=reason,
            )
        )

    async def history(self, submission_id: UUID) -> list[GradeHistoryLine]:
        c = grade_history.c
        stmt = select(c.kind, c.suite_version, c.score, c.max_score, c.verdict, c.reason, c.at)
        rows = await self._all(stmt.where(c.submission_id == submission_id).order_by(c.id))
        return [GradeHistoryLine(**row._mapping) for row in rows]

    async def course_assignments(self, course_id: UUID) -> Sequence[Row[Any]]:
        """The gradebook's columns: the course's assignments in use, oldest first."""
        stmt = select(assignments.c.id, assignments.c.title, assignments.c.due_at).where(
            assignments.c.course_id == course_id, assignments.c.archived_at.is_(None)
        )
        return await self._all(stmt.order_by(assignments.c.created_at, assignments.c.id))

    async def students_page(self, course_id: UUID, limit: int, after: UUID | None) -> Sequence[Row[Any]]:
        """The gradebook's rows: the course's students, by id."""
        stmt = (
            select(users.c.id, users.c.name, users.c.email)
            .join(enrollments, enrollments.c.user_id == users.c.id)
            .where(enrollments.c.course_id == course_id, enrollments.c.role == "student")
        )
        if after is not None:
            stmt = stmt.where(users.c.id > after)
        return await self._all(stmt.order_by(users.c.id).limit(limit))

    async def chosen_submissions(
        self, assignment_ids: Sequence[UUID], student_ids: Sequence[UUID], rule: str
    ) -> Sequence[Row[Any]]:
        """Each student's chosen graded submission of each assignment (`rule`: latest or best)."""
        c = submissions.c
        graded = and_(
            c.assignment_id.in_(assignment_ids), c.student_id.in_(student_ids), c.status == "graded"
        )
        columns = (c.id, c.assignment_id, c.student_id, c.score, c.max_score, c.late_days, c.override_score)
        stmt = (
            select(*columns, c.override_reason, GRADE.label("grade"))
            .where(graded)
            .ext(distinct_on(c.assignment_id, c.student_id))
            .order_by(c.assignment_id, c.student_id, *BOOK_RANKING[rule])
        )
        return await self._all(stmt)

"""The submit path's two statements, sent through asyncpg on a driver unit of work
(gradeflow_shared/driver_unit.py): the group commit of submits runs hundreds of times a second, and
SQLAlchemy's layers cost it about as much CPU as its statements (docs/benchmarks.md). Implements
usecases.ports.SubmitStore; rows come back with their columns as attributes, as the SQL store's do."""

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import asyncpg

from gradeflow_shared.ids import new_id

# The pairs as two arrays: one statement, prepared once, however many pairs.
_SUBMIT_TARGETS = """
    SELECT p.assignment_id, p.user_id, a.course_id, e.role, a.languages, a.due_at, a.close_at,
        a.late_policy, a.late_penalty_percent, a.suite_version, a.archived_at, now() AS now
    FROM unnest($1::uuid[], $2::uuid[]) AS p(assignment_id, user_id)
    JOIN assignments a ON a.id = p.assignment_id
    LEFT JOIN enrollments e ON e.course_id = a.course_id AND e.user_id = p.user_id
"""
_SUBMISSION_COLUMNS = ("student_id", "assignment_id", "language", "source", "late_days", "penalty_percent")
_ADD_SUBMISSIONS = """
    INSERT INTO submissions
        (id, student_id, assignment_id, language, source, status, late_days, penalty_percent)
    SELECT n.id, n.student_id, n.assignment_id, n.language, n.source, 'queued', n.late_days, n.penalty_percent
    FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::int[])
        AS n(id, student_id, assignment_id, language, source, late_days, penalty_percent)
    RETURNING id, status, created_at
"""


class PgSubmitStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def submit_targets(self, pairs: Sequence[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID], Any]:
        found = await self._conn.fetch(_SUBMIT_TARGETS, [a for a, _ in pairs], [u for _, u in pairs])
        return {(row["assignment_id"], row["user_id"]): SimpleNamespace(**row) for row in found}

    async def add_submissions(self, many: Sequence[dict[str, Any]]) -> Sequence[Any]:
        ids = [new_id() for _ in many]
        columns = [[m[c] for m in many] for c in _SUBMISSION_COLUMNS]
        stored = {
            row["id"]: SimpleNamespace(**row)
            for row in await self._conn.fetch(_ADD_SUBMISSIONS, ids, *columns)
        }
        return [stored[i] for i in ids]

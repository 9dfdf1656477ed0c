"""The gateway's repositories on one unit of work's session, one class an aggregate (the protocols of
usecases.ports): each method one round trip; bulk writes are single multi-row statements."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    FromClause,
    Row,
    Select,
    Text,
    Uuid,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.adapters.db.feed import RUNS_CHANNEL, SUBMISSIONS_CHANNEL
from gateway.adapters.db.tables import (
    api_keys,
    assignments,
    callbacks,
    course_events,
    courses,
    enrollments,
    grade_history,
    idempotency_keys,
    identities,
    jobe_files,
    parent_links,
    runs,
    submissions,
    test_cases,
    users,
)
from gateway.domain import deadlines
from gateway.domain.records import GradeReceived, RunStatistics, SubmissionsWanted
from gradeflow_shared.ids import new_id
from gradeflow_shared.text import storable_json

_CLAIM_CALLBACKS = text(
    "WITH due AS (SELECT run_id FROM gateway.callbacks WHERE state = 'pending' AND next_attempt_at <= now()"
    " ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED) "
    "UPDATE gateway.callbacks c SET attempts = c.attempts + 1,"
    " next_attempt_at = now() + make_interval(secs => CAST(:lease AS float8)) "
    "FROM due WHERE c.run_id = due.run_id RETURNING c.run_id, c.url, c.base64, c.attempts"
)


# A roster's people and enrollments, each in one statement however many lines it has.
_UPSERT_USERS = text(
    "INSERT INTO gateway.users (id, email, name) "
    "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:emails AS text[]), CAST(:names AS text[])) "
    # A known email keeps its user and that user's name: a roster never renames anyone.
    "ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id, email"
)
_ADD_NEW_USERS = text(
    "INSERT INTO gateway.users (id, email, name) "
    "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:emails AS text[]), CAST(:names AS text[])) "
    "ON CONFLICT (email) DO NOTHING RETURNING id, email"
)
_UPSERT_ENROLLMENTS = text(
    "INSERT INTO gateway.enrollments (course_id, user_id, role) "
    "SELECT CAST(:course AS uuid), * FROM unnest(CAST(:users AS uuid[]), CAST(:roles AS text[])) "
    "ON CONFLICT (course_id, user_id) DO UPDATE SET role = EXCLUDED.role"
)
_ADD_PARENT_LINKS = text(
    "INSERT INTO gateway.parent_links (course_id, parent_id, student_id) "
    "SELECT CAST(:course AS uuid), * FROM unnest(CAST(:parents AS uuid[]), CAST(:students AS uuid[])) "
    "ON CONFLICT DO NOTHING"
)
# A member's enrollment with, for a parent, the children they follow in the course.
_ENROLLMENT = text(
    "SELECT e.course_id, e.user_id, e.role, ARRAY(SELECT l.student_id FROM gateway.parent_links l"
    " WHERE l.course_id = e.course_id AND l.parent_id = e.user_id ORDER BY l.student_id) AS children "
    "FROM gateway.enrollments e WHERE e.course_id = :course AND e.user_id = :user"
)

# As arrays, one parameter each: a roster's hundred thousand emails in one statement.
_USERS_BY_EMAIL = text("SELECT email, id FROM gateway.users WHERE email = ANY(CAST(:emails AS text[]))")
_TAUGHT_BY = text(
    "SELECT DISTINCT e.user_id FROM gateway.enrollments e JOIN gateway.enrollments t"
    " ON t.course_id = e.course_id AND t.user_id = :teacher AND t.role = 'teacher'"
    " WHERE e.user_id = ANY(CAST(:users AS uuid[]))"
)
_STUDENTS_BY_EMAIL = text(
    "SELECT u.email, u.id FROM gateway.users u JOIN gateway.enrollments e ON e.user_id = u.id "
    "WHERE e.course_id = :course AND e.role = 'student' AND u.email = ANY(CAST(:emails AS text[]))"
)


# Take a key: new, or expired (older than the TTL), or abandoned (still unanswered past the lock:
# its request died with its process) — the row is then this request's. A key in use answers no row.
_TAKE_KEY = text(
    "INSERT INTO gateway.idempotency_keys (client, key, fingerprint) VALUES (:client, :key, :fingerprint) "
    "ON CONFLICT (client, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, created_at = now(),"
    " status = NULL, headers = NULL, body = NULL "
    "WHERE idempotency_keys.created_at < now() - make_interval(secs => :ttl) OR"
    " (idempotency_keys.status IS NULL"
    "  AND idempotency_keys.created_at < now() - make_interval(secs => :lock)) "
    "RETURNING key"
)


Before = tuple[datetime, UUID] | None


def _page(stmt: Select[Any], table: FromClause, limit: int, before: Before) -> Select[Any]:
    """Newest first, older than the cursor's (created_at, id)."""
    if before is not None:
        stmt = stmt.where(tuple_(table.c.created_at, table.c.id) < tuple_(*before))
    return stmt.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)


class _Repository:
    """A repository on one unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _all(self, stmt: Select[Any]) -> Sequence[Row[Any]]:
        rows: Sequence[Row[Any]] = (await self._session.execute(stmt)).all()
        return rows


class SqlUsers(_Repository):
    """Users and the identities (issuer, subject) bound to them."""

    async def upsert_user(self, email: str, name: str) -> Row[Any]:
        stmt = (
            pg_insert(users)
            .values(id=new_id(), email=email.lower(), name=name)
            .on_conflict_do_update(index_elements=[users.c.email], set_={"name": name})
            .returning(users)
        )
        row: Row[Any] = (await self._session.execute(stmt)).one()
        return row

    async def upsert_users(self, people: Sequence[tuple[str, str]]) -> dict[str, UUID]:
        """(email, name) pairs, emails lowercased already → each one's id (a known email keeps its
        id and its name)."""
        emails = [email for email, _ in people]
        params = {"ids": [new_id() for _ in people], "emails": emails, "names": [name for _, name in people]}
        rows = await self._session.execute(_UPSERT_USERS, params)
        return {row.email: row.id for row in rows}

    async def add_new_users(self, people: Sequence[tuple[str, str]]) -> dict[str, UUID]:
        """(email, name) pairs, emails lowercased already → the id of each user made: an email an
        account has already (or an earlier pair of the same call) makes none."""
        params = {
            "ids": [new_id() for _ in people],
            "emails": [email for email, _ in people],
            "names": [name for _, name in people],
        }
        rows = await self._session.execute(_ADD_NEW_USERS, params)
        return {row.email: row.id for row in rows}

    async def users_by_id(self, user_ids: Sequence[UUID]) -> Sequence[Row[Any]]:
        return await self._all(select(users).where(users.c.id.in_(list(user_ids))))

    async def users_by_email(self, emails: Sequence[str]) -> dict[str, UUID]:
        rows = await self._session.execute(_USERS_BY_EMAIL, {"emails": list(emails)})
        return {row.email: row.id for row in rows}

    async def get_user(self, user_id: UUID) -> Row[Any] | None:
        return (await self._session.execute(select(users).where(users.c.id == user_id))).first()

    async def user_by_email(self, email: str) -> Row[Any] | None:
        return (await self._session.execute(select(users).where(users.c.email == email.lower()))).first()

    async def add_user(self, user_id: UUID, email: str, name: str) -> UUID:
        """A new user, or the one that took the email first (two first requests at once)."""
        stmt = pg_insert(users).values(id=user_id, email=email.lower(), name=name)
        await self._session.execute(stmt.on_conflict_do_nothing(index_elements=[users.c.email]))
        found = await self.user_by_email(email)
        assert found is not None
        return UUID(str(found.id))

    async def identity(self, issuer: str, subject: str) -> UUID | None:
        stmt = select(identities.c.user_id).where(
            identities.c.issuer == issuer, identities.c.subject == subject
        )
        found = (await self._session.execute(stmt)).scalar()
        return None if found is None else UUID(str(found))

    async def bind_identity(self, issuer: str, subject: str, user_id: UUID) -> UUID:
        """The identity bound to `user_id`, unless bound already (then to whom it was)."""
        stmt = pg_insert(identities).values(issuer=issuer, subject=subject, user_id=user_id)
        await self._session.execute(stmt.on_conflict_do_nothing())
        bound = await self.identity(issuer, subject)
        assert bound is not None
        return bound

    async def users_page(self, email: str | None, limit: int, before: Before) -> Sequence[Row[Any]]:
        stmt = select(users)
        if email is not None:
            stmt = stmt.where(users.c.email == email.lower())
        return await self._all(_page(stmt, users, limit, before))


class SqlCourses(_Repository):
    """Courses, their members (enrollments and the students a parent follows) and their events."""

    async def taught_by(self, teacher_id: UUID, user_ids: Sequence[UUID]) -> set[UUID]:
        """Those of `user_ids` who are members of a course `teacher_id` teaches."""
        rows = await self._session.execute(_TAUGHT_BY, {"teacher": teacher_id, "users": list(user_ids)})
        return set(rows.scalars())

    async def students_by_email(self, course_id: UUID, emails: Sequence[str]) -> dict[str, UUID]:
        rows = await self._session.execute(_STUDENTS_BY_EMAIL, {"course": course_id, "emails": list(emails)})
        return {row.email: row.id for row in rows}

    async def upsert_enrollments(self, course_id: UUID, members: Sequence[tuple[UUID, str]]) -> None:
        users_, roles = (list(c) for c in zip(*members, strict=True))
        params = {"course": course_id, "users": users_, "roles": roles}
        await self._session.execute(_UPSERT_ENROLLMENTS, params)

    async def add_parent_links(self, course_id: UUID, links: Sequence[tuple[UUID, UUID]]) -> None:
        parents, students = (list(c) for c in zip(*links, strict=True))
        params = {"course": course_id, "parents": parents, "students": students}
        await self._session.execute(_ADD_PARENT_LINKS, params)

    async def members_page(
        self, course_id: UUID, role: str | None, limit: int, before: Before
    ) -> Sequence[Row[Any]]:
        """A course's members with their role, and for a parent the students they follow."""
        e, links = enrollments.c, parent_links.c
        children = (
            select(func.array_agg(links.student_id))
            .where(links.course_id == e.course_id, links.parent_id == e.user_id)
            .scalar_subquery()
        )
        members = (
            select(
                e.user_id.label("id"),
                e.user_id,
                e.role,
                e.created_at,
                users.c.email,
                users.c.name,
                children.label("children"),
            )
            .join(users, users.c.id == e.user_id)
            .where(e.course_id == course_id)
        )
        if role is not None:
            members = members.where(e.role == role)
        chosen = members.subquery()
        return await self._all(_page(select(chosen), chosen, limit, before))

    async def add_course(self, teacher_id: UUID, fields: dict[str, Any]) -> Row[Any]:
        stmt = insert(courses).values(id=new_id(), created_by=teacher_id, **fields).returning(courses)
        row: Row[Any] = (await self._session.execute(stmt)).one()
        return row

    async def update_course(self, course_id: UUID, fields: dict[str, Any]) -> Row[Any]:
        stmt = update(courses).where(courses.c.id == course_id).values(**fields).returning(courses)
        row: Row[Any] = (await self._session.execute(stmt)).one()
        return row

    async def get_course(self, course_id: UUID) -> Row[Any] | None:
        return (await self._session.execute(select(courses).where(courses.c.id == course_id))).first()

    async def courses_page(self, user_id: UUID, limit: int, before: Before) -> Sequence[Row[Any]]:
        stmt = select(courses, enrollments.c.role).join(enrollments).where(enrollments.c.user_id == user_id)
        return await self._all(_page(stmt, courses, limit, before))

    async def course_events_page(
        self, course_id: UUID, limit: int, before: Before, audiences: Sequence[str]
    ) -> Sequence[Row[Any]]:
        stmt = select(course_events).where(
            course_events.c.course_id == course_id, course_events.c.audience.in_(list(audiences))
        )
        return await self._all(_page(stmt, course_events, limit, before))

    async def enrollment(self, course_id: UUID, user_id: UUID) -> Row[Any] | None:
        return (await self._session.execute(_ENROLLMENT, {"course": course_id, "user": user_id})).first()

    async def get_course_event(self, event_id: UUID) -> Row[Any] | None:
        stmt = select(course_events).where(course_events.c.id == event_id).with_for_update()
        return (await self._session.execute(stmt)).first()

    async def revise_course_event(self, event_id: UUID, fields: dict[str, Any], cancel: bool) -> Row[Any]:
        """The event's next revision: `fields` changed, or (`cancel`) cancelled as of now."""
        values: dict[str, Any] = {**fields, "revision": course_events.c.revision + 1}
        if cancel:
            values["cancelled_at"] = func.now()
        stmt = update(course_events).where(course_events.c.id == event_id).values(**values)
        row: Row[Any] = (await self._session.execute(stmt.returning(course_events))).one()
        return row

    async def remove_enrollment(self, course_id: UUID, user_id: UUID) -> None:
        """The member leaves the course (their submissions stay); a parent's links go with them."""
        await self._session.execute(
            delete(parent_links).where(
                parent_links.c.course_id == course_id,
                (parent_links.c.parent_id == user_id) | (parent_links.c.student_id == user_id),
            )
        )
        await self._session.execute(
            delete(enrollments).where(enrollments.c.course_id == course_id, enrollments.c.user_id == user_id)
        )

    async def teachers_of(self, course_id: UUID) -> int:
        stmt = select(func.count()).where(
            enrollments.c.course_id == course_id, enrollments.c.role == "teacher"
        )
        return int(await self._session.scalar(stmt) or 0)

    async def add_course_event(self, fields: dict[str, Any]) -> Row[Any]:
        """`fields`: course_id, author_id, title, body, category, priority, audience."""
        stmt = insert(course_events).values(id=new_id(), **fields).returning(course_events)
        row: Row[Any] = (await self._session.execute(stmt)).one()
        return row


class SqlAssignments(_Repository):
    """Assignments and their test cases."""

    async def assignments_page(
        self, course_id: UUID, limit: int, before: Before, archived: bool = False
    ) -> Sequence[Row[Any]]:
        """The course's assignments: those in use, or (`archived`) those archived."""
        kept = assignments.c.archived_at.is_not(None) if archived else assignments.c.archived_at.is_(None)
        stmt = select(assignments).where(assignments.c.course_id == course_id, kept)
        return await self._all(_page(stmt, assignments, limit, before))

    async def add_assignment(self, course_id: UUID, fields: dict[str, Any]) -> Row[Any]:
        """`fields`: title, time and memory limits, max processes, max output."""
        stmt = insert(assignments).values(id=new_id(), course_id=course_id, **fields).returning(assignments)
        row: Row[Any] = (await self._session.execute(stmt)).one()
        return row

    async def update_assignment(self, assignment_id: UUID, fields: dict[str, Any]) -> Row[Any]:
        stmt = update(assignments).where(assignments.c.id == assignment_id).values(**fields)
        row: Row[Any] = (await self._session.execute(stmt.returning(assignments))).one()
        return row

    async def archive_assignment(self, assignment_id: UUID) -> None:
        await self._session.execute(
            update(assignments).where(assignments.c.id == assignment_id).values(archived_at=func.now())
        )

    async def add_test_cases(
        self, assignment_id: UUID, tests: Sequence[dict[str, Any]], suite_version: int = 1
    ) -> Sequence[Row[Any]]:
        """A version of the suite's tests, each a row of its own (results refer to them)."""
        rows = [
            {
                "id": new_id(),
                "assignment_id": assignment_id,
                "position": i,
                "suite_version": suite_version,
                **t,
            }
            for i, t in enumerate(tests, start=1)
        ]
        # One multi-row statement, not a round trip per test.
        result = await self._session.execute(insert(test_cases).values(rows).returning(test_cases))
        return sorted(result.all(), key=lambda r: r.position)

    async def get_assignment(self, assignment_id: UUID, lock: bool = False) -> Row[Any] | None:
        """`lock`: until the unit ends (a change: versions follow each other, none skipped or twice)."""
        stmt = select(assignments).where(assignments.c.id == assignment_id)
        if lock:
            stmt = stmt.with_for_update()
        return (await self._session.execute(stmt)).first()

    async def list_test_cases(self, assignment_id: UUID, suite_version: int) -> Sequence[Row[Any]]:
        stmt = (
            select(test_cases)
            .where(test_cases.c.assignment_id == assignment_id, test_cases.c.suite_version == suite_version)
            .order_by(test_cases.c.position)
        )
        return (await self._session.execute(stmt)).all()


class SqlSubmissions(_Repository):
    """Submissions and their read model (status, verdict, score)."""

    async def submissions_page(
        self, wanted: SubmissionsWanted, limit: int, before: Before
    ) -> Sequence[Row[Any]]:
        c = submissions.c
        stmt = select(submissions)
        if wanted.assignment_id is not None:
            stmt = stmt.where(c.assignment_id == wanted.assignment_id)
        if wanted.student_id is not None:
            stmt = stmt.where(c.student_id == wanted.student_id)
        if wanted.per_student is not None:  # one a student: the newest, or the best scored (then newest)
            ranking = (
                [c.created_at.desc()]
                if wanted.per_student == "latest"
                else [c.score.desc().nulls_last(), c.created_at.desc()]
            )
            chosen = stmt.ext(distinct_on(c.student_id)).order_by(c.student_id, *ranking).subquery()
            return await self._all(_page(select(chosen), chosen, limit, before))
        return await self._all(_page(stmt, submissions, limit, before))

    async def get_submission(self, submission_id: UUID) -> Row[Any] | None:
        stmt = (
            select(submissions, assignments.c.course_id)
            .join(assignments)
            .where(submissions.c.id == submission_id)
        )
        return (await self._session.execute(stmt)).first()

    async def advance_submission(
        self, submission_id: UUID, allowed_from: Sequence[str], **values: Any
    ) -> int:
        """Move a submission forward; statuses not in `allowed_from` are left alone (late events).
        A move is announced to the live streams following the submission (NOTIFY: at commit)."""
        # One round trip: the update, and the notice of what it moved.
        moved = (
            update(submissions)
            .where(submissions.c.id == submission_id, submissions.c.status.in_(allowed_from))
            .values(updated_at=func.now(), **values)
            .returning(submissions.c.id)
            .cte("moved")
        )
        notices = func.count(func.pg_notify(SUBMISSIONS_CHANNEL, cast(moved.c.id, Text)))
        return int(await self._session.scalar(select(notices).select_from(moved)) or 0)

    async def grade_submission(
        self, submission_id: UUID, allowed_from: Sequence[str], grade: GradeReceived
    ) -> int:
        """The grade into the read model, with its line in the grade history, in one statement:
        a first grade moves a submission from `allowed_from`; a later one (a regrade) replaces a
        grade only if graded by a later suite version (a late or repeated one changes nothing)."""
        c = submissions.c
        raw_score, suite_version, regrade_id = grade.raw_score, grade.suite_version, grade.regrade_id
        # The domain's rule applied by the database to the row's own percent (SQLAlchemy's operators
        # write the same arithmetic in SQL): no read before the write.
        score = deadlines.penalised(raw_score, c.penalty_percent)  # type: ignore[arg-type]
        newer = or_(
            c.status.in_(allowed_from),
            and_(c.status == "graded", func.coalesce(c.suite_version, 1) < suite_version),
        )
        moved = (
            update(submissions)
            .where(c.id == submission_id, newer)
            .values(
                status="graded",
                verdict=grade.verdict,
                max_score=grade.max_score,
                results=grade.results,
                updated_at=func.now(),
                raw_score=raw_score,
                score=score,
                suite_version=suite_version,
            )
            .returning(c.id, c.score, c.raw_score, c.max_score, c.verdict)
            .cte("moved")
        )
        logged = (
            grade_history.insert()
            .from_select(
                [
                    "submission_id",
                    "kind",
                    "suite_version",
                    "score",
                    "raw_score",
                    "max_score",
                    "verdict",
                    "regrade_id",
                ],
                select(
                    moved.c.id,
                    literal("regraded" if regrade_id else "graded"),
                    literal(suite_version),
                    moved.c.score,
                    moved.c.raw_score,
                    moved.c.max_score,
                    moved.c.verdict,
                    cast(literal(regrade_id), Uuid) if regrade_id else null(),
                ),
            )
            .cte("logged")
        )
        notices = func.count(func.pg_notify(SUBMISSIONS_CHANNEL, cast(moved.c.id, Text)))
        stmt = select(notices).select_from(moved).add_cte(logged)
        return int(await self._session.scalar(stmt) or 0)


class SqlRuns(_Repository):
    """Ad-hoc runs (the Judge0 and Jobe surfaces) and their result callbacks."""

    async def user_runs(self, user_id: UUID, offset: int, limit: int) -> tuple[int, Sequence[Row[Any]]]:
        """(how many runs the user has, a page of them newest first): Judge0's numbered pages."""
        total = await self._session.scalar(
            select(func.count()).select_from(runs).where(runs.c.user_id == user_id)
        )
        stmt = (
            select(runs)
            .where(runs.c.user_id == user_id)
            .order_by(runs.c.created_at.desc(), runs.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return int(total or 0), list(await self._session.execute(stmt))

    async def run_statistics(self) -> RunStatistics:
        """Runs in all, today and in the last 30 days; by language and by verdict (Judge0's
        /statistics), and the schema's size."""
        counts = (
            await self._session.execute(
                text(
                    "SELECT count(*) AS total,"
                    " count(*) FILTER (WHERE created_at >= date_trunc('day', now())) AS today,"
                    " count(*) FILTER (WHERE created_at >= now() - interval '30 days') AS last_30_days"
                    " FROM gateway.runs"
                )
            )
        ).one()
        languages = await self._session.execute(
            select(runs.c.language, func.count()).group_by(runs.c.language).order_by(func.count().desc())
        )
        verdicts = await self._session.execute(
            select(runs.c.status, runs.c.verdict, func.count()).group_by(runs.c.status, runs.c.verdict)
        )
        size = await self._session.scalar(
            text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n"
                " ON n.oid = c.relnamespace WHERE n.nspname = 'gateway' AND c.relkind = 'r'"
            )
        )
        return RunStatistics(
            submissions=dict(counts._mapping),
            languages=[(language, n) for language, n in languages],
            verdicts=[(status, verdict, n) for status, verdict, n in verdicts],
            size_in_bytes=int(size or 0),
        )

    async def delete_run(self, run_id: UUID) -> None:
        await self._session.execute(delete(callbacks).where(callbacks.c.run_id == run_id))
        await self._session.execute(delete(runs).where(runs.c.id == run_id))

    async def add_callbacks(self, many: Sequence[tuple[UUID, str, bool]]) -> None:
        """(run, url, base64) for each run whose result is to be PUT once done."""
        rows = [{"run_id": r, "url": u, "base64": b, "state": "waiting"} for r, u, b in many]
        await self._session.execute(insert(callbacks), rows)

    async def callback_due(self, run_id: UUID) -> None:
        """The run is done: its callback (if any) may go now."""
        stmt = (
            update(callbacks)
            .where(callbacks.c.run_id == run_id, callbacks.c.state == "waiting")
            .values(state="pending", next_attempt_at=func.now())
        )
        await self._session.execute(stmt)

    async def claim_callbacks(self, limit: int, lease_seconds: float) -> Sequence[Row[Any]]:
        """Due callbacks, each taken for a lease (a dispatcher that dies leaves them to another)."""
        return list(await self._session.execute(_CLAIM_CALLBACKS, {"limit": limit, "lease": lease_seconds}))

    async def settle_callback(
        self, run_id: UUID, state: str, error: str | None, retry_in_seconds: float | None = None
    ) -> None:
        values: dict[str, Any] = {"state": state, "last_error": error}
        if retry_in_seconds is not None:
            values["next_attempt_at"] = func.now() + func.make_interval(0, 0, 0, 0, 0, 0, retry_in_seconds)
        await self._session.execute(update(callbacks).where(callbacks.c.run_id == run_id).values(**values))

    async def add_runs(self, user_id: UUID, many: list[dict[str, Any]]) -> list[Row[Any]]:
        """Insert the runs in one round trip; rows come back in the order given."""
        stmt = insert(runs).returning(runs, sort_by_parameter_order=True)
        params = [{"id": new_id(), "user_id": user_id, "status": "queued", **fields} for fields in many]
        return list((await self._session.execute(stmt, params)).all())

    async def get_runs(self, run_ids: list[UUID]) -> dict[UUID, Row[Any]]:
        """The runs of `run_ids` that exist, by id: one query however many."""
        rows = (await self._session.execute(select(runs).where(runs.c.id.in_(run_ids)))).all()
        return {row.id: row for row in rows}

    async def complete_run(self, run_id: UUID, verdict: str, result: dict[str, Any]) -> int:
        """Record the result once; a run already done is left alone (a duplicate event)."""
        stmt = (
            update(runs)
            .where(runs.c.id == run_id, runs.c.status != "done")
            .values(status="done", verdict=verdict, result=storable_json(result), updated_at=func.now())
        )
        recorded = int((await self._session.execute(stmt)).rowcount)  # type: ignore[attr-defined]
        if recorded:  # the requests waiting for it are woken at commit (feed.PgRunFeed)
            await self._session.execute(select(func.pg_notify(RUNS_CHANNEL, str(run_id))))
        return recorded


class SqlJobeFiles(_Repository):
    """Jobe's files, kept per owner for a while."""

    async def put_file(self, owner_id: UUID, file_id: str, content: bytes, ttl_seconds: float) -> None:
        expires = func.now() + func.make_interval(0, 0, 0, 0, 0, 0, ttl_seconds)
        stmt = pg_insert(jobe_files).values(
            owner_id=owner_id, id=file_id, content=content, expires_at=expires
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[jobe_files.c.owner_id, jobe_files.c.id],
            set_={"content": content, "expires_at": expires},
        )
        await self._session.execute(stmt)
        # Expired files go as new ones come: no sweeper to run.
        await self._session.execute(delete(jobe_files).where(jobe_files.c.expires_at < func.now()))

    async def files_kept_by(self, owner_id: UUID, but: str) -> tuple[int, int]:
        """(how many, how many bytes) of unexpired files the owner keeps, but `but`."""
        f = jobe_files.c
        stmt = select(func.count(), func.coalesce(func.sum(func.length(f.content)), 0)).where(
            f.owner_id == owner_id, f.id != but, f.expires_at > func.now()
        )
        count, size = (await self._session.execute(stmt)).one()
        return int(count), int(size)

    async def kept_files(self, owner_id: UUID, file_ids: Sequence[str]) -> set[str]:
        """Which of `file_ids` the owner keeps (unexpired), without reading their contents."""
        f = jobe_files.c
        stmt = select(f.id).where(f.owner_id == owner_id, f.id.in_(file_ids), f.expires_at > func.now())
        return set((await self._session.execute(stmt)).scalars())

    async def files(self, owner_id: UUID, file_ids: Sequence[str]) -> dict[str, bytes]:
        """The owner's unexpired files among `file_ids`."""
        f = jobe_files.c
        stmt = select(f.id, f.content).where(
            f.owner_id == owner_id, f.id.in_(file_ids), f.expires_at > func.now()
        )
        return {row.id: bytes(row.content) for row in await self._session.execute(stmt)}


class SqlApiKeys(_Repository):
    """API keys (only their hashes are kept)."""

    async def add_api_key(self, user_id: UUID, fields: dict[str, Any]) -> Row[Any]:
        """`fields`: name, prefix, secret_sha256, scopes."""
        stmt = insert(api_keys).values(id=new_id(), user_id=user_id, **fields).returning(api_keys)
        row: Row[Any] = (await self._session.execute(stmt)).one()
        return row

    async def update_api_key(self, key_id: UUID, fields: dict[str, Any]) -> Row[Any] | None:
        stmt = update(api_keys).where(api_keys.c.id == key_id).values(**fields).returning(api_keys)
        row: Row[Any] | None = (await self._session.execute(stmt)).first()
        return row

    async def api_keys_of(self, user_id: UUID) -> Sequence[Row[Any]]:
        k = api_keys.c
        return await self._all(select(api_keys).where(k.user_id == user_id).order_by(k.created_at.desc()))

    async def api_key_by_prefix(self, prefix: str) -> Row[Any] | None:
        return (await self._session.execute(select(api_keys).where(api_keys.c.prefix == prefix))).first()

    async def revoke_api_key(self, user_id: UUID, key_id: UUID) -> str | None:
        k = api_keys.c
        prefix: str | None = await self._session.scalar(
            update(api_keys)
            .where(k.id == key_id, k.user_id == user_id)
            .values(revoked_at=func.coalesce(k.revoked_at, func.now()))
            .returning(k.prefix)
        )
        return prefix

    async def touch_api_key(self, key_id: UUID) -> None:
        await self._session.execute(
            update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=func.now())
        )


class SqlIdempotencyKeys(_Repository):
    """Idempotency keys and the answers kept for them."""

    async def take_idempotency_key(
        self, client: str, key: str, fingerprint: str, ttl_seconds: float, lock_seconds: float
    ) -> bool:
        params = {
            "client": client,
            "key": key,
            "fingerprint": fingerprint,
            "ttl": ttl_seconds,
            "lock": lock_seconds,
        }
        return (await self._session.execute(_TAKE_KEY, params)).first() is not None

    async def idempotency_key(self, client: str, key: str) -> Row[Any] | None:
        k = idempotency_keys.c
        stmt = select(idempotency_keys).where(k.client == client, k.key == key)
        return (await self._session.execute(stmt)).first()

    async def answer_idempotency_key(
        self, client: str, key: str, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        k = idempotency_keys.c
        await self._session.execute(
            update(idempotency_keys)
            .where(k.client == client, k.key == key)
            .values(status=status, headers=headers, body=body)
        )

    async def release_idempotency_key(self, client: str, key: str) -> None:
        k = idempotency_keys.c
        await self._session.execute(idempotency_keys.delete().where(k.client == client, k.key == key))

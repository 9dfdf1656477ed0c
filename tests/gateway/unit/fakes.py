"""The gateway's repositories in memory: one store (the tables as dicts, rows as records) serving as
every repository, so a use case's writes through one are seen through another."""

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from gateway.domain import deadlines
from gateway.domain.records import GradeReceived
from gradeflow_shared.ids import new_id
from tests.support.fakes import FakeUnits, record


class FakeGatewayStore:
    def __init__(self) -> None:
        self.users: dict[UUID, Any] = {}
        self.courses: dict[UUID, Any] = {}
        self.enrollments: dict[tuple[UUID, UUID], Any] = {}
        self.assignments: dict[UUID, Any] = {}
        self.tests: dict[tuple[UUID, int], list[Any]] = {}  # (assignment, suite version) → tests
        self.submissions: dict[UUID, Any] = {}
        self.runs: dict[UUID, Any] = {}
        self.callbacks: dict[UUID, dict[str, Any]] = {}
        self.course_events: dict[UUID, Any] = {}
        self._tick = itertools.count()

    def _now(self) -> datetime:
        return datetime(2026, 1, 5, tzinfo=UTC).replace(microsecond=next(self._tick))

    async def upsert_user(self, email: str, name: str) -> Any:
        found = next((u for u in self.users.values() if u.email == email.lower()), None)
        if found:
            found.name = name
            return found
        user = record(id=new_id(), email=email.lower(), name=name, created_at=self._now())
        self.users[user.id] = user
        return user

    async def get_user(self, user_id: UUID) -> Any | None:
        return self.users.get(user_id)

    async def add_course(self, teacher_id: UUID, fields: dict[str, Any]) -> Any:
        course = record(id=new_id(), created_by=teacher_id, created_at=self._now(), **fields)
        self.courses[course.id] = course
        return course

    async def update_course(self, course_id: UUID, fields: dict[str, Any]) -> Any:
        course = self.courses[course_id]
        for name, value in fields.items():
            setattr(course, name, value)
        return course

    async def get_course(self, course_id: UUID) -> Any | None:
        return self.courses.get(course_id)

    async def courses_page(self, user_id: UUID, limit: int, before: Any) -> list[Any]:
        mine = [(self.courses[c], e.role) for (c, u), e in self.enrollments.items() if u == user_id]
        return [record(**vars(course), role=role) for course, role in mine][:limit]

    async def enrollment(self, course_id: UUID, user_id: UUID) -> Any | None:
        return self.enrollments.get((course_id, user_id))

    async def upsert_users(self, people: Sequence[tuple[str, str]]) -> dict[str, UUID]:
        known = await self.users_by_email([email for email, _ in people])
        return {email: known.get(email) or (await self.upsert_user(email, name)).id for email, name in people}

    async def add_new_users(self, people: Sequence[tuple[str, str]]) -> dict[str, UUID]:
        made: dict[str, UUID] = {}
        for email, name in people:
            if email not in made and not await self.users_by_email([email]):
                made[email] = (await self.upsert_user(email, name)).id
        return made

    async def users_by_email(self, emails: Sequence[str]) -> dict[str, UUID]:
        return {u.email: u.id for u in self.users.values() if u.email in emails}

    async def taught_by(self, teacher_id: UUID, user_ids: Sequence[UUID]) -> set[UUID]:
        taught = {c for (c, u), e in self.enrollments.items() if u == teacher_id and e.role == "teacher"}
        return {u for (c, u) in self.enrollments if c in taught and u in user_ids}

    async def students_by_email(self, course_id: UUID, emails: Sequence[str]) -> dict[str, UUID]:
        students = {u for (c, u), e in self.enrollments.items() if c == course_id and e.role == "student"}
        return {u.email: u.id for u in self.users.values() if u.id in students and u.email in emails}

    async def upsert_enrollments(self, course_id: UUID, members: Sequence[tuple[UUID, str]]) -> None:
        for user, role in members:
            known = self.enrollments.get((course_id, user))
            children = known.children if known else []
            self.enrollments[(course_id, user)] = record(
                course_id=course_id, user_id=user, role=role, children=children
            )

    async def add_parent_links(self, course_id: UUID, links: Sequence[tuple[UUID, UUID]]) -> None:
        for parent, student in links:
            children = self.enrollments[(course_id, parent)].children
            if student not in children:
                children.append(student)

    async def add_course_event(self, fields: dict[str, Any]) -> Any:
        row = record(id=new_id(), created_at=self._now(), **fields)
        self.course_events[row.id] = row
        return row

    async def add_assignment(self, course_id: UUID, fields: dict[str, Any]) -> Any:
        row = record(
            id=new_id(),
            course_id=course_id,
            created_at=self._now(),
            suite_version=1,
            archived_at=None,
            **fields,
        )
        self.assignments[row.id] = row
        return row

    async def update_assignment(self, assignment_id: UUID, fields: dict[str, Any]) -> Any:
        row = self.assignments[assignment_id]
        changed = record(**{**vars(row), **fields})
        self.assignments[assignment_id] = changed
        return changed

    async def archive_assignment(self, assignment_id: UUID) -> None:
        await self.update_assignment(assignment_id, {"archived_at": self._now()})

    async def add_test_cases(
        self, assignment_id: UUID, tests: Sequence[dict[str, Any]], suite_version: int = 1
    ) -> Sequence[Any]:
        rows = [
            record(id=new_id(), assignment_id=assignment_id, position=i, suite_version=suite_version, **t)
            for i, t in enumerate(tests, 1)
        ]
        self.tests[(assignment_id, suite_version)] = rows
        return rows

    async def get_assignment(self, assignment_id: UUID, lock: bool = False) -> Any | None:
        return self.assignments.get(assignment_id)

    async def submit_targets(self, pairs: Sequence[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID], Any]:
        found = {}
        for assignment_id, user_id in pairs:
            assignment = self.assignments.get(assignment_id)
            if assignment is not None:
                membership = self.enrollments.get((assignment.course_id, user_id))
                role = membership.role if membership else None
                policy = {
                    f: getattr(assignment, f, None)
                    for f in ("languages", "due_at", "close_at", "suite_version", "archived_at")
                }
                found[(assignment_id, user_id)] = record(
                    course_id=assignment.course_id,
                    role=role,
                    late_policy=getattr(assignment, "late_policy", "accept"),
                    late_penalty_percent=getattr(assignment, "late_penalty_percent", 10),
                    now=self._now(),
                    **policy,
                )
        return found

    async def list_test_cases(self, assignment_id: UUID, suite_version: int) -> Sequence[Any]:
        return self.tests.get((assignment_id, suite_version), [])

    async def add_submissions(self, many: Sequence[dict[str, Any]]) -> Sequence[Any]:
        return [await self._add_submission(**m) for m in many]

    async def _add_submission(
        self,
        student_id: UUID,
        assignment_id: UUID,
        language: str,
        source: str,
        late_days: int = 0,
        penalty_percent: int = 0,
    ) -> Any:
        now = self._now()
        row = record(
            late_days=late_days,
            penalty_percent=penalty_percent,
            raw_score=None,
            id=new_id(),
            assignment_id=assignment_id,
            course_id=self.assignments[assignment_id].course_id,
            student_id=student_id,
            language=language,
            source=source,
            status="queued",
            verdict=None,
            score=None,
            max_score=None,
            results=None,
            created_at=now,
            updated_at=now,
        )
        self.submissions[row.id] = row
        return row

    async def get_submission(self, submission_id: UUID) -> Any | None:
        return self.submissions.get(submission_id)

    async def advance_submission(
        self, submission_id: UUID, allowed_from: Sequence[str], **values: Any
    ) -> int:
        row = self.submissions.get(submission_id)
        if row is None or row.status not in allowed_from:
            return 0
        row.__dict__.update(values, updated_at=self._now())
        return 1

    async def grade_submission(
        self, submission_id: UUID, allowed_from: Sequence[str], grade: GradeReceived
    ) -> int:
        row = self.submissions.get(submission_id)
        if row is None:
            return 0
        score = deadlines.penalised(grade.raw_score, row.penalty_percent)
        newer = row.status == "graded" and (getattr(row, "suite_version", None) or 1) < grade.suite_version
        if row.status not in allowed_from and not newer:
            return 0
        row.__dict__.update(
            status="graded",
            verdict=grade.verdict,
            max_score=grade.max_score,
            results=grade.results,
            raw_score=grade.raw_score,
            score=score,
            suite_version=grade.suite_version,
            updated_at=self._now(),
        )
        return 1

    async def add_runs(self, user_id: UUID, many: list[dict[str, Any]]) -> list[Any]:
        rows = []
        for fields in many:
            now = self._now()
            row = record(
                id=new_id(),
                user_id=user_id,
                status="queued",
                verdict=None,
                result=None,
                created_at=now,
                updated_at=now,
                **fields,
            )
            self.runs[row.id] = row
            rows.append(row)
        return rows

    async def get_runs(self, run_ids: list[UUID]) -> dict[UUID, Any]:
        return {i: self.runs[i] for i in run_ids if i in self.runs}

    async def complete_run(self, run_id: UUID, verdict: str, result: dict[str, Any]) -> int:
        row = self.runs.get(run_id)
        if row is None or row.status == "done":
            return 0
        row.__dict__.update(status="done", verdict=verdict, result=result, updated_at=self._now())
        return 1

    async def add_callbacks(self, many: Sequence[tuple[UUID, str, bool]]) -> None:
        for run_id, url, base64 in many:
            self.callbacks[run_id] = {"url": url, "base64": base64, "state": "waiting"}

    async def callback_due(self, run_id: UUID) -> None:
        if run_id in self.callbacks and self.callbacks[run_id]["state"] == "waiting":
            self.callbacks[run_id]["state"] = "pending"


class FakeLtiPlatforms:
    """No course of an in-memory test is linked to an LMS: no grade goes anywhere."""

    async def score_targets(self, assignment_id: UUID, student_id: UUID) -> list[object]:
        return []


class FakeRepos:
    """`GatewayRepos` over one in-memory store (`store`: what tests read and seed)."""

    def __init__(self, store: FakeGatewayStore | None = None) -> None:
        self.store = store or FakeGatewayStore()
        self.users = self.courses = self.assignments = self.submissions = self.grades = self.store
        self.runs = self.files = self.keys = self.idempotency = self.store
        self.lti = FakeLtiPlatforms()
        # The group commit's own store (SubmitStore), on the same tables.
        self.submit_targets, self.add_submissions = self.store.submit_targets, self.store.add_submissions


def fake_units(store: FakeGatewayStore | None = None) -> FakeUnits[FakeRepos]:
    return FakeUnits(FakeRepos(store))

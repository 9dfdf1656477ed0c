"""The catalogue: users, courses, enrollments and assignments with their tests — the state a
submission needs. Each change that another service keeps a copy of is announced in the same unit
of work."""

import asyncio
import collections
import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from gateway import schemas as s
from gateway.domain import deadlines
from gateway.domain.access import PARENT, STUDENT, TEACHER, require_teacher
from gateway.domain.errors import Conflict, Forbidden, GatewayError, NotFound, RosterInvalid
from gateway.domain.roster import MAX_ERRORS, RosterColumns, parse_roster_bytes
from gateway.usecases.ports import Context, Uow
from gradeflow_shared.events import (
    AssignmentPublished,
    CheckerSpec,
    CourseChanged,
    CourseEventPublished,
    EnrollmentChanged,
    EnrollmentsChanged,
    Member,
    Role,
    TestCaseSpec,
)
from gradeflow_shared.limits import LIMIT_FIELDS

ROSTER_EVENT_MEMBERS = 1000  # members per enrollments.changed message


POLICY_FIELDS = ("languages", "due_at", "close_at", "late_policy", "late_penalty_percent")


T = TypeVar("T")

# An account exists apart from any course: a teacher enrols one they already teach (in any of
# their courses) or one a roster of theirs makes; anyone else's is an admin's to enrol — else any
# logged-in user, making a course, could put anyone into it and write to them.
NOT_YOURS = "an existing account you do not teach: an admin enrols it, or its owner is added by their school"


async def dev_login(ctx: Context, cmd: s.DevLogin) -> Any:
    async with ctx.units() as uow:
        user = await uow.repos.users.upsert_user(cmd.email, cmd.name)
        await uow.commit()
    return user


async def create_course(ctx: Context, teacher_id: UUID, cmd: s.CourseIn) -> Any:
    async with ctx.units() as uow:
        teacher = await uow.repos.users.get_user(teacher_id)
        if teacher is None:
            raise NotFound("user not found")
        course = await uow.repos.courses.add_course(teacher_id, cmd.model_dump())
        await uow.repos.courses.upsert_enrollments(course.id, [(teacher_id, TEACHER)])
        uow.add_event(enrollment_event(course.id, teacher, TEACHER))
        uow.add_event(course_event(course))
        await uow.commit()
    return course


async def update_course(ctx: Context, actor_id: UUID, course_id: UUID, cmd: s.CourseUpdate) -> Any:
    """A teacher changes the course's title or settings; the notifier's copy follows."""
    async with ctx.units() as uow:
        await role_in(uow, course_id, actor_id, require=TEACHER)
        fields = cmd.model_dump(exclude_none=True)
        if not fields:
            return await uow.repos.courses.get_course(course_id)
        course = await uow.repos.courses.update_course(course_id, fields)
        uow.add_event(course_event(course))
        await uow.commit()
    return course


async def enroll(
    ctx: Context, actor_id: UUID, course_id: UUID, cmd: s.EnrollmentIn, admin: bool = False
) -> s.EnrollmentOut:
    """Enrol a member (or change their role); a parent enrolled with a student follows that
    student too — enrolled again with another, they follow both. An account is enrolled by a
    teacher who already teaches it (in any course), or by an admin (`_may_enrol`)."""
    async with ctx.units() as uow:
        await role_in(uow, course_id, actor_id, require=TEACHER)
        user = await uow.repos.users.get_user(cmd.user_id)
        if user is None:
            raise NotFound("user not found", field="user_id")
        if not admin and not await uow.repos.courses.taught_by(actor_id, [cmd.user_id]):
            raise Forbidden(NOT_YOURS, field="user_id")
        followed = cmd.student_id if cmd.role == PARENT else None
        if cmd.role == PARENT:
            await _require_student(uow, course_id, followed)
        await uow.repos.courses.upsert_enrollments(course_id, [(cmd.user_id, cmd.role)])
        if followed is not None:
            await uow.repos.courses.add_parent_links(course_id, [(cmd.user_id, followed)])
        uow.add_event(enrollment_event(course_id, user, cmd.role, followed))
        row = await uow.repos.courses.enrollment(course_id, cmd.user_id)
        await uow.commit()
    children = list(row.children or ()) if row else []
    return s.EnrollmentOut(course_id=course_id, user_id=cmd.user_id, role=cmd.role, children=children)


async def import_roster(
    ctx: Context, actor_id: UUID, course_id: UUID, body: bytes, admin: bool = False
) -> s.RosterImported:
    """A whole roster or nothing: every line checked first (each fault named by line and field) —
    parsed off the event loop, at most MAX_LINES —, then the people, their enrollments and the
    notifier's copy (a message per thousand members) in one unit, however many lines. A roster
    makes the accounts it names that do not exist yet, never renames one that does, and enrols an
    existing account only if the teacher already teaches it (or an admin imports it)."""
    cols, faults = await ctx.offload(parse_roster_bytes, body)
    if faults:
        raise RosterInvalid([{"line": f.line, "field": f.field, "message": f.message} for f in faults])
    if not len(cols):
        raise GatewayError("the roster has no lines after its header", field="body")
    # Whatever walks every line runs in a worker thread and every statement takes a slice: a walk
    # of a hundred thousand lines on the event loop holds every other request for tens of ms.
    emails = await asyncio.to_thread(lambda: sorted(set(cols.emails)))
    async with ctx.units() as uow:
        await role_in(uow, course_id, actor_id, require=TEACHER)
        existing: dict[str, UUID] = {}
        for some in _chunks(emails):
            existing |= await uow.repos.users.users_by_email(some)
        if existing and not admin:
            taught: set[UUID] = set()
            for known in _chunks(list(existing.values())):
                taught |= await uow.repos.courses.taught_by(actor_id, known)
            foreign = await asyncio.to_thread(_foreign_lines, cols, existing, taught)
            if foreign:
                raise RosterInvalid([{"line": n, "field": "email", "message": NOT_YOURS} for n in foreign])
        ids: dict[str, UUID] = {}
        for people in _chunks(list(zip(cols.emails, cols.names, strict=True))):
            ids |= await uow.repos.users.upsert_users(people)
        students, outside = await asyncio.to_thread(_students, cols, ids)
        for some in _chunks(outside):
            students |= await uow.repos.courses.students_by_email(course_id, some)
        plan = await asyncio.to_thread(_plan, course_id, cols, ids, students)
        if plan.unknown:
            message = "the child is not a student of this roster or of the course"
            raise RosterInvalid(
                [{"line": n, "field": "child_email", "message": message} for n in plan.unknown]
            )
        # A parent on several lines (one a child) is one enrollment with a link per child.
        for enrolled in _chunks(plan.enrollments):
            await uow.repos.courses.upsert_enrollments(course_id, enrolled)
        for linked in _chunks(plan.links):
            await uow.repos.courses.add_parent_links(course_id, linked)
        for event in plan.events:
            uow.add_event(event)
        await uow.commit()
    return s.RosterImported(imported=len(plan.enrollments), **plan.counts)


ROSTER_STATEMENT_ROWS = 5_000  # a statement's rows: its parameters and its answer are handled on
# the event loop, so a roster of a hundred thousand goes in slices, other requests served between


def _chunks(items: list[T]) -> list[list[T]]:
    return [items[i : i + ROSTER_STATEMENT_ROWS] for i in range(0, len(items), ROSTER_STATEMENT_ROWS)]


def _foreign_lines(cols: RosterColumns, existing: dict[str, UUID], taught: set[UUID]) -> list[int]:
    """(Blocking: in a worker.) The first lines naming an account the teacher does not teach."""
    lines = (
        n for n, e in zip(cols.lines, cols.emails, strict=True) if e in existing and existing[e] not in taught
    )
    return list(itertools.islice(lines, MAX_ERRORS))


def _students(cols: RosterColumns, ids: dict[str, UUID]) -> tuple[dict[str, UUID], list[str]]:
    """(Blocking: in a worker.) The roster's students by email, and the children it names that
    it does not list (students of the course already, or no one)."""
    students = {e: ids[e] for e, role in zip(cols.emails, cols.roles, strict=True) if role == STUDENT}
    return students, sorted({c for c in cols.children if c and c not in students})


@dataclass(frozen=True)
class _RosterPlan:
    enrollments: list[tuple[UUID, str]]  # one per person: (user id, role)
    links: list[tuple[UUID, UUID]]  # (parent, child)
    events: list[EnrollmentsChanged]
    counts: dict[str, int]  # students, teachers, parents
    unknown: list[int]  # lines whose child is no student of the roster or the course


def _plan(
    course_id: UUID, cols: RosterColumns, ids: dict[str, UUID], students: dict[str, UUID]
) -> _RosterPlan:
    """(Blocking: in a worker.) The roster's members and their announcements, a thousand each:
    built from values checked already (the parse, the database's ids), so not validated again."""
    unknown = [n for n, c in zip(cols.lines, cols.children, strict=True) if c and c not in students]
    if unknown:
        return _RosterPlan([], [], [], {}, unknown[:MAX_ERRORS])
    members = [
        Member.model_construct(
            user_id=ids[email],
            email=email,
            name=name,
            role=cast(Role, role),
            follows=students[child] if child else None,
        )
        for email, name, role, child in zip(cols.emails, cols.names, cols.roles, cols.children, strict=True)
    ]
    events = [
        EnrollmentsChanged.model_construct(
            course_id=course_id, members=tuple(members[start : start + ROSTER_EVENT_MEMBERS])
        )
        for start in range(0, len(members), ROSTER_EVENT_MEMBERS)
    ]
    roles = {m.user_id: str(m.role) for m in members}
    counts = collections.Counter(roles.values())
    return _RosterPlan(
        enrollments=list(roles.items()),
        links=[(m.user_id, m.follows) for m in members if m.follows is not None],
        events=events,
        counts={"students": counts[STUDENT], "teachers": counts[TEACHER], "parents": counts[PARENT]},
        unknown=[],
    )


async def publish_course_event(ctx: Context, actor_id: UUID, course_id: UUID, cmd: s.CourseEventIn) -> Any:
    """Store the event and announce it in one unit: the same few rows whatever the audience's size
    (the notifier fans it out to each member)."""
    async with ctx.units() as uow:
        await role_in(uow, course_id, actor_id, require=TEACHER)
        row = await uow.repos.courses.add_course_event(
            {"course_id": course_id, "author_id": actor_id, **cmd.model_dump()}
        )
        uow.add_event(
            CourseEventPublished(
                event_id=row.id,
                course_id=course_id,
                author_id=actor_id,
                title=row.title,
                body=row.body,
                category=row.category,
                priority=row.priority,
                audience=row.audience,
                published_at=row.created_at,
            )
        )
        await uow.commit()
    return row


async def revise_course_event(
    ctx: Context, actor_id: UUID, course_id: UUID, event_id: UUID, cmd: s.CourseEventUpdate | None
) -> Any:
    """A teacher corrects the event's title or body (`cmd`), or cancels it (None): the event's next
    revision, told to its audience once as a correction ("Corrected: …", "Cancelled: …") under an
    id of its own derived from the event and the revision — a retried request tells no one twice.
    A cancelled event is not corrected; cancelling twice is cancelling once."""
    async with ctx.units() as uow:
        await role_in(uow, course_id, actor_id, require=TEACHER)
        event = await uow.repos.courses.get_course_event(event_id)
        if event is None or event.course_id != course_id:
            raise NotFound("course event not found", field="event_id")
        if event.cancelled_at is not None:
            if cmd is None:
                return event
            raise Conflict("the event is cancelled: it is not corrected", field="event_id")
        fields = {} if cmd is None else cmd.model_dump(exclude_none=True)
        if cmd is not None and all(getattr(event, k) == v for k, v in fields.items()):
            return event  # nothing changes: no correction to tell
        row = await uow.repos.courses.revise_course_event(event_id, fields, cancel=cmd is None)
        prefix, body = (
            ("Cancelled", f"This is cancelled: {row.body}") if cmd is None else ("Corrected", row.body)
        )
        uow.add_event(
            CourseEventPublished(
                event_id=uuid.uuid5(event_id, f"revision-{row.revision}"),
                course_id=course_id,
                author_id=actor_id,
                title=f"{prefix}: {row.title}"[:300],
                body=body[:20_000],
                category=row.category,
                priority=row.priority,
                audience=row.audience,
                published_at=datetime.now(UTC),  # the correction's moment
            )
        )
        await uow.commit()
    return row


async def remove_member(ctx: Context, actor_id: UUID, course_id: UUID, user_id: UUID) -> None:
    """A teacher takes a member out of the course: they lose access to it (it no longer exists for
    them), and the notifier stops writing to them; their submissions and grades stay. A course
    keeps at least one teacher. Removing someone not enrolled is not found."""
    async with ctx.units() as uow:
        await role_in(uow, course_id, actor_id, require=TEACHER)
        member = await uow.repos.courses.enrollment(course_id, user_id)
        if member is None:
            raise NotFound("not a member of this course", field="user_id")
        if member.role == TEACHER and await uow.repos.courses.teachers_of(course_id) <= 1:
            raise Conflict("a course keeps at least one teacher", field="user_id")
        user = await uow.repos.users.get_user(user_id)
        await uow.repos.courses.remove_enrollment(course_id, user_id)
        event = enrollment_event(course_id, user, member.role)
        uow.add_event(event.model_copy(update={"active": False}))
        await uow.commit()


async def create_assignment(
    ctx: Context, actor_id: UUID, course_id: UUID, cmd: s.AssignmentIn
) -> s.AssignmentOut:
    """Store the assignment and its tests, and publish the suite to the grader, in one unit."""
    async with ctx.units() as uow:
        await role_in(uow, course_id, actor_id, require=TEACHER)
        checker = cmd.checker
        assignment = await uow.repos.assignments.add_assignment(
            course_id,
            {
                **cmd.model_dump(include={"title", *LIMIT_FIELDS, *POLICY_FIELDS}),
                "checker_language": checker.language if checker else None,
                "checker_source": checker.source if checker else None,
            },
        )
        tests = await uow.repos.assignments.add_test_cases(assignment.id, [t.model_dump() for t in cmd.tests])
        uow.add_event(_published(assignment, tests))
        await uow.commit()
    return _assignment_view(assignment, tests, sees_hidden=True)


def _published(assignment: Any, tests: Any) -> AssignmentPublished:
    """The suite of the assignment's current version, whole, for the grader's copy."""
    checker = None
    if assignment.checker_language is not None:
        checker = CheckerSpec(language=assignment.checker_language, source=assignment.checker_source)
    return AssignmentPublished(
        assignment_id=assignment.id,
        course_id=assignment.course_id,
        title=assignment.title,
        **_limits(assignment),
        checker=checker,
        tests=tuple(TestCaseSpec(test_id=t.id, **{f: getattr(t, f) for f in _TEST_FIELDS}) for t in tests),
        suite_version=assignment.suite_version,
    )


# What makes the suite: a change of any of them is a new version, published to the grader.
_SUITE_FIELDS = frozenset({"tests", "checker", *LIMIT_FIELDS})


async def update_assignment(
    ctx: Context, actor_id: UUID, assignment_id: UUID, cmd: s.AssignmentUpdate
) -> s.AssignmentOut:
    """A teacher changes the assignment: only what is sent, checked against what is kept (the
    deadlines' order, a checker for tests compared by it). A change of the suite (tests, checker,
    limits) is its next version, published to the grader in the same unit; the submissions graded
    before keep their grade until regraded. Sending what is already there changes nothing."""
    changes = cmd.changes()
    async with ctx.units() as uow:
        assignment = await assignment_taught(uow, actor_id, assignment_id, lock=True)
        tests = await uow.repos.assignments.list_test_cases(assignment_id, assignment.suite_version)
        kept_tests = [{f: getattr(t, f) for f in _TEST_FIELDS if f != "position"} for t in tests]
        fields: dict[str, Any] = {}
        for name in ("title", *POLICY_FIELDS, *LIMIT_FIELDS):
            if name in changes and changes[name] != getattr(assignment, name):
                fields[name] = changes[name]
        if "checker" in changes:
            checker = changes["checker"]
            new = (checker.language, checker.source) if checker else (None, None)
            if new != (assignment.checker_language, assignment.checker_source):
                fields["checker_language"], fields["checker_source"] = new
        new_tests = kept_tests
        if "tests" in changes:
            sent = [t.model_dump() for t in changes["tests"]]
            if sent != kept_tests:
                new_tests = sent
        due = fields.get("due_at", assignment.due_at)
        fault = deadlines.out_of_order(due, fields.get("close_at", assignment.close_at))
        if fault:
            raise GatewayError(fault, field="close_at")
        has_checker = fields.get("checker_language", assignment.checker_language) is not None
        if not has_checker and any(t["comparison"] == "checker" for t in new_tests):
            raise GatewayError(
                "a test is compared by 'checker' but the assignment has no checker", field="checker"
            )
        suite_changed = new_tests is not kept_tests or bool(
            (fields.keys() & _SUITE_FIELDS) or "checker_language" in fields or "checker_source" in fields
        )
        if not fields and not suite_changed:
            return _assignment_view(assignment, tests, sees_hidden=True)
        if suite_changed:
            fields["suite_version"] = assignment.suite_version + 1
        assignment = await uow.repos.assignments.update_assignment(assignment_id, fields)
        if suite_changed:
            tests = await uow.repos.assignments.add_test_cases(
                assignment_id, new_tests, assignment.suite_version
            )
            uow.add_event(_published(assignment, tests))
        await uow.commit()
    return _assignment_view(assignment, tests, sees_hidden=True)


async def archive_assignment(ctx: Context, actor_id: UUID, assignment_id: UUID) -> None:
    """Hidden from the course's list and closed to new work; its submissions, grades and tests
    are kept (and still read by id). Archiving twice is archiving once."""
    async with ctx.units() as uow:
        assignment = await assignment_taught(uow, actor_id, assignment_id, lock=True)
        if assignment.archived_at is None:
            await uow.repos.assignments.archive_assignment(assignment_id)
        await uow.commit()


async def assignment_taught(uow: Uow, actor_id: UUID, assignment_id: UUID, lock: bool = False) -> Any:
    """The assignment, if the actor teaches its course (else not found, or forbidden)."""
    assignment = await uow.repos.assignments.get_assignment(assignment_id, lock=lock)
    if assignment is None:
        raise NotFound("assignment not found", field="assignment_id")
    await role_in(uow, assignment.course_id, actor_id, require=TEACHER)
    return assignment


async def view_assignment(ctx: Context, viewer_id: UUID, assignment_id: UUID) -> s.AssignmentOut:
    async with ctx.units() as uow:
        assignment = await uow.repos.assignments.get_assignment(assignment_id)
        if assignment is None:
            raise NotFound("assignment not found", field="assignment_id")
        role = await role_in(uow, assignment.course_id, viewer_id)
        tests = await uow.repos.assignments.list_test_cases(assignment_id, assignment.suite_version)
    return _assignment_view(assignment, tests, sees_hidden=role == TEACHER)


# A stored test case as the event carries it: the contract's fields but its id.
_TEST_FIELDS = tuple(f for f in TestCaseSpec.model_fields if f != "test_id")


def _limits(row: Any) -> dict[str, Any]:
    return {f: getattr(row, f) for f in LIMIT_FIELDS}


def _assignment_view(assignment: Any, tests: Any, sees_hidden: bool) -> s.AssignmentOut:
    """A student sees a hidden test's weight, never its input or expected output."""
    return s.AssignmentOut(
        id=assignment.id,
        course_id=assignment.course_id,
        title=assignment.title,
        **_limits(assignment),
        **{f: getattr(assignment, f) for f in POLICY_FIELDS},
        checker_language=assignment.checker_language,
        suite_version=assignment.suite_version,
        archived_at=assignment.archived_at,
        tests=[
            s.TestCaseOut(
                id=t.id,
                position=t.position,
                weight=t.weight,
                hidden=t.hidden,
                comparison=t.comparison,
                stdin=t.stdin if sees_hidden or not t.hidden else None,
                expected_stdout=t.expected_stdout if sees_hidden or not t.hidden else None,
            )
            for t in tests
        ],
    )


async def role_in(uow: Uow, course_id: UUID, user_id: UUID, require: str | None = None) -> str:
    """The user's role in the course; a course the user is not in does not exist for them."""
    if await uow.repos.courses.get_course(course_id) is None:
        raise NotFound("course not found", field="course_id")
    row = await uow.repos.courses.enrollment(course_id, user_id)
    if row is None:  # not even its existence is told to an outsider, whatever they asked
        raise NotFound("course not found", field="course_id")
    if require == TEACHER:
        require_teacher(row.role)
    return str(row.role)


async def _require_student(uow: Uow, course_id: UUID, student_id: UUID | None) -> None:
    row = await uow.repos.courses.enrollment(course_id, student_id) if student_id else None
    if row is None or row.role != STUDENT:
        # The schema asks a parent for a student_id; one naming no student here is not found.
        raise NotFound("no such student in this course: a parent follows a student of it", field="student_id")


def course_event(course: Any) -> CourseChanged:
    return CourseChanged(course_id=course.id, title=course.title, grades_to_parents=course.grades_to_parents)


def enrollment_event(course_id: UUID, user: Any, role: str, follows: UUID | None = None) -> EnrollmentChanged:
    return EnrollmentChanged(
        course_id=course_id,
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=role,
        active=True,
        follows=follows,
    )

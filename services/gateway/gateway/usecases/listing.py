"""Collections, a page at a time (newest first, by cursor), each only as far as the caller may
see: their own courses; a course's assignments and events for its members, its members for its
teachers; their own submissions; an assignment's submissions — all, or each student's latest or
best — for its course's teachers; every user for admins."""

from collections.abc import Sequence
from typing import Any, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel

from gateway import schemas as s
from gateway.domain.access import TEACHER, audiences_seen_by, require_teacher
from gateway.domain.errors import GatewayError, NotFound
from gateway.domain.records import SubmissionsWanted
from gateway.usecases.catalogue import role_in
from gateway.usecases.ports import Before, Context
from gradeflow_shared.cursor import decode_cursor, encode_cursor

T = TypeVar("T", bound=BaseModel)
PerStudent = Literal["latest", "best"]  # as `SubmissionsWanted.per_student`
Role = Literal["student", "teacher", "parent"]


async def my_courses(ctx: Context, user_id: UUID, limit: int, cursor: str | None) -> s.Page[s.CourseSummary]:
    async with ctx.units() as uow:
        rows = await uow.repos.courses.courses_page(user_id, limit + 1, _before(cursor))
    return _page(rows, limit, s.CourseSummary)


async def course_assignments(
    ctx: Context, user_id: UUID, course_id: UUID, limit: int, cursor: str | None, archived: bool = False
) -> s.Page[s.AssignmentSummary]:
    """Those in use, to every member; those archived, to its teachers only."""
    async with ctx.units() as uow:
        role = await role_in(uow, course_id, user_id)
        if archived:
            require_teacher(role)
        rows = await uow.repos.assignments.assignments_page(course_id, limit + 1, _before(cursor), archived)
    return _page(rows, limit, s.AssignmentSummary)


async def course_events(
    ctx: Context, user_id: UUID, course_id: UUID, limit: int, cursor: str | None
) -> s.Page[s.CourseEventOut]:
    """The course's events whose audience takes the caller in (a student never sees the titles of
    events for teachers)."""
    async with ctx.units() as uow:
        role = await role_in(uow, course_id, user_id)
        rows = await uow.repos.courses.course_events_page(
            course_id, limit + 1, _before(cursor), audiences_seen_by(role)
        )
    return _page(rows, limit, s.CourseEventOut)


async def my_submissions(
    ctx: Context, user_id: UUID, assignment_id: UUID | None, limit: int, cursor: str | None
) -> s.Page[s.SubmissionSummary]:
    async with ctx.units() as uow:
        wanted = SubmissionsWanted(assignment_id=assignment_id, student_id=user_id)
        rows = await uow.repos.submissions.submissions_page(wanted, limit + 1, _before(cursor))
    return _page(rows, limit, s.SubmissionSummary)


async def assignment_submissions(
    ctx: Context,
    user_id: UUID,
    assignment_id: UUID,
    per_student: PerStudent | None,
    limit: int,
    cursor: str | None,
) -> s.Page[s.SubmissionSummary]:
    async with ctx.units() as uow:
        assignment = await uow.repos.assignments.get_assignment(assignment_id)
        if assignment is None:
            raise NotFound("assignment not found", field="assignment_id")
        require_teacher(await role_in(uow, assignment.course_id, user_id))
        wanted = SubmissionsWanted(assignment_id=assignment_id, per_student=per_student)
        rows = await uow.repos.submissions.submissions_page(wanted, limit + 1, _before(cursor))
    return _page(rows, limit, s.SubmissionSummary)


async def course_members(
    ctx: Context, user_id: UUID, course_id: UUID, role: Role | None, limit: int, cursor: str | None
) -> s.Page[s.MemberOut]:
    """A course's members (emails included): for its teachers."""
    async with ctx.units() as uow:
        await role_in(uow, course_id, user_id, require=TEACHER)
        rows = await uow.repos.courses.members_page(course_id, role, limit + 1, _before(cursor))
    return _page(rows, limit, s.MemberOut)


async def users(ctx: Context, email: str | None, limit: int, cursor: str | None) -> s.Page[s.UserOut]:
    """Every user of the platform (the route lets admins only), or the one with `email`."""
    async with ctx.units() as uow:
        rows = await uow.repos.users.users_page(email, limit + 1, _before(cursor))
    return _page(rows, limit, s.UserOut)


async def me(ctx: Context, user_id: UUID) -> s.UserOut:
    async with ctx.units() as uow:
        row = await uow.repos.users.get_user(user_id)
    if row is None:  # a token outliving its user (a development database reset)
        raise NotFound("user not found")
    return s.UserOut.model_validate(row, from_attributes=True)


def _before(cursor: str | None) -> Before:
    if not cursor:
        return None
    try:
        return decode_cursor(cursor)
    except ValueError as exc:
        raise GatewayError("not a cursor this API gave out", field="cursor") from exc


def _page(rows: Sequence[Any], limit: int, model: type[T]) -> s.Page[T]:
    items = [model.model_validate(row, from_attributes=True) for row in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return s.Page[model](items=items, next_cursor=encode_cursor(last.created_at, last.id) if last else None)  # type: ignore[valid-type]

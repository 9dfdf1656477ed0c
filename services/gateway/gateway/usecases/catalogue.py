"""Users, courses, enrollments and assignments: the catalogue a submission needs."""

from typing import Any
from uuid import UUID

from gateway import schemas as s
from gateway.adapters.db import repositories as repo
from gateway.adapters.db.tables import outbox
from gateway.domain.access import PARENT, STUDENT, TEACHER, require_teacher
from gateway.domain.errors import GatewayError, NotFound
from gateway.usecases.context import Context
from gradeflow_shared.events import AssignmentPublished, CheckerSpec, EnrollmentChanged, TestCaseSpec
from gradeflow_shared.outbox import add_event


async def dev_login(ctx: Context, cmd: s.DevLogin) -> Any:
    async with ctx.unit_of_work() as session:
        return await repo.upsert_user(session, cmd.email, cmd.name)


async def create_course(ctx: Context, teacher_id: UUID, cmd: s.CourseIn) -> Any:
    async with ctx.unit_of_work() as session:
        teacher = await repo.get_user(session, teacher_id)
        if teacher is None:
            raise NotFound("user not found")
        course = await repo.add_course(session, cmd.title, teacher_id)
        await repo.upsert_enrollment(session, course.id, teacher_id, TEACHER, None)
        await add_event(session, outbox, _enrollment_event(course.id, teacher, TEACHER))
        return course


async def enroll(ctx: Context, actor_id: UUID, course_id: UUID, cmd: s.EnrollmentIn) -> Any:
    async with ctx.unit_of_work() as session:
        await _role_in(session, course_id, actor_id, require=TEACHER)
        user = await repo.get_user(session, cmd.user_id)
        if user is None:
            raise NotFound("user not found", field="user_id")
        if cmd.role == PARENT:
            await _require_student(session, course_id, cmd.student_id)
        row = await repo.upsert_enrollment(
            session,
            course_id,
            cmd.user_id,
            cmd.role,
            cmd.student_id if cmd.role == PARENT else None,
        )
        await add_event(session, outbox, _enrollment_event(course_id, user, cmd.role))
        return row


async def create_assignment(
    ctx: Context, actor_id: UUID, course_id: UUID, cmd: s.AssignmentIn
) -> tuple[Any, Any]:
    async with ctx.unit_of_work() as session:
        await _role_in(session, course_id, actor_id, require=TEACHER)
        assignment = await repo.add_assignment(
            session,
            course_id,
            {
                **cmd.model_dump(include={"title", "max_output_kb", *s.LIMIT_FIELDS}),
                "checker_language": cmd.checker.language if cmd.checker else None,
                "checker_source": cmd.checker.source if cmd.checker else None,
            },
        )
        tests = await repo.add_test_cases(session, assignment.id, [t.model_dump() for t in cmd.tests])
        event = AssignmentPublished(
            assignment_id=assignment.id,
            course_id=course_id,
            title=assignment.title,
            time_limit_ms=assignment.time_limit_ms,
            memory_limit_mb=assignment.memory_limit_mb,
            max_processes=assignment.max_processes,
            max_output_kb=assignment.max_output_kb,
            wall_limit_ms=assignment.wall_limit_ms,
            max_file_kb=assignment.max_file_kb,
            stack_limit_mb=assignment.stack_limit_mb,
            checker=CheckerSpec(language=cmd.checker.language, source=cmd.checker.source)
            if cmd.checker
            else None,
            tests=tuple(
                TestCaseSpec(
                    test_id=t.id,
                    position=t.position,
                    stdin=t.stdin,
                    expected_stdout=t.expected_stdout,
                    weight=t.weight,
                    hidden=t.hidden,
                    comparison=t.comparison,
                    tolerance=t.tolerance,
                )
                for t in tests
            ),
        )
        await add_event(session, outbox, event)
        return assignment, tests


async def view_assignment(ctx: Context, viewer_id: UUID, assignment_id: UUID) -> s.AssignmentOut:
    async with ctx.sessions() as session:
        assignment = await repo.get_assignment(session, assignment_id)
        if assignment is None:
            raise NotFound("assignment not found", field="assignment_id")
        role = await _role_in(session, assignment.course_id, viewer_id)
        tests = await repo.list_test_cases(session, assignment_id)
    sees_hidden = role == TEACHER
    return s.AssignmentOut(
        id=assignment.id,
        course_id=assignment.course_id,
        title=assignment.title,
        time_limit_ms=assignment.time_limit_ms,
        memory_limit_mb=assignment.memory_limit_mb,
        max_processes=assignment.max_processes,
        max_output_kb=assignment.max_output_kb,
        wall_limit_ms=assignment.wall_limit_ms,
        max_file_kb=assignment.max_file_kb,
        stack_limit_mb=assignment.stack_limit_mb,
        checker_language=assignment.checker_language,
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


async def _role_in(session: Any, course_id: UUID, user_id: UUID, require: str | None = None) -> str:
    if await repo.get_course(session, course_id) is None:
        raise NotFound("course not found", field="course_id")
    row = await repo.enrollment(session, course_id, user_id)
    role = row.role if row else None
    if require == TEACHER:
        require_teacher(role)
    if role is None:
        raise NotFound("course not found", field="course_id")
    return str(role)


async def _require_student(session: Any, course_id: UUID, student_id: UUID | None) -> None:
    row = await repo.enrollment(session, course_id, student_id) if student_id else None
    if row is None or row.role != STUDENT:
        raise GatewayError("a parent must follow a student of this course", field="student_id")


def _enrollment_event(course_id: UUID, user: Any, role: str) -> EnrollmentChanged:
    return EnrollmentChanged(
        course_id=course_id,
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=role,
        active=True,
    )

"""Submitting code and following its grading: the gateway's side of a submission's path."""

from uuid import UUID

from gateway import schemas as s
from gateway.domain.access import may_view_submission, require_student
from gateway.domain.errors import NotFound
from gateway.domain.submissions import earlier_than, results_for_viewer
from gateway.usecases.ports import Context, Uow
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import GradingStarted, SubmissionCreated, SubmissionGraded


async def submit(ctx: Context, student_id: UUID, cmd: s.SubmissionIn) -> s.SubmissionAccepted:
    """Store the submission and stage `submission.created` in one unit; grading is asynchronous."""
    async with ctx.units() as uow:
        target = await uow.repos.submit_target(cmd.assignment_id, student_id)
        if target is None:
            raise NotFound("assignment not found", field="assignment_id")
        require_student(target.role)
        row = await uow.repos.add_submission(student_id, cmd.assignment_id, cmd.language, cmd.source)
        event = SubmissionCreated(
            submission_id=row.id,
            assignment_id=cmd.assignment_id,
            course_id=target.course_id,
            student_id=student_id,
            language=cmd.language,
            source=cmd.source,
            created_at=row.created_at,
        )
        uow.add_event(event, correlation_id=str(row.id))
        await uow.commit()
    return s.SubmissionAccepted(id=row.id, status=row.status)


async def view(ctx: Context, viewer_id: UUID, submission_id: UUID) -> s.SubmissionOut:
    async with ctx.units() as uow:
        row = await uow.repos.get_submission(submission_id)
        membership = await uow.repos.enrollment(row.course_id, viewer_id) if row else None
    role = membership.role if membership else None
    followed = membership.student_id if membership else None
    if row is None or not may_view_submission(viewer_id, row.student_id, role, followed):
        raise NotFound("submission not found", field="submission_id")
    return s.SubmissionOut(
        id=row.id,
        assignment_id=row.assignment_id,
        student_id=row.student_id,
        language=row.language,
        status=row.status,
        verdict=row.verdict,
        score=row.score,
        max_score=row.max_score,
        tests=results_for_viewer(row.results, sees_hidden=role == "teacher"),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def grading_started(uow: Uow, event: GradingStarted, _: Envelope) -> None:
    await uow.repos.advance_submission(event.submission_id, earlier_than("running"), status="running")


async def submission_graded(uow: Uow, event: SubmissionGraded, _: Envelope) -> None:
    await uow.repos.advance_submission(
        event.submission_id,
        earlier_than("graded"),
        status="graded",
        verdict=event.verdict,
        score=event.score,
        max_score=event.max_score,
        results=[t.model_dump(mode="json") for t in event.tests],
    )

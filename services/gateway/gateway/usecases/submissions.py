"""Submitting code and following its grading: the gateway's side of a submission's path."""

from uuid import UUID

from gateway import schemas as s
from gateway.adapters.db import repositories as repo
from gateway.adapters.db.tables import inbox, outbox
from gateway.domain.access import may_view_submission, require_student
from gateway.domain.errors import NotFound
from gateway.domain.submissions import earlier_than, results_for_viewer
from gateway.usecases.context import Context
from gradeflow_shared.consumer import claim
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import GradingStarted, SubmissionCreated, SubmissionGraded
from gradeflow_shared.outbox import add_event
from gradeflow_shared.topology import GATEWAY_GRADING_STARTED, GATEWAY_SUBMISSION_GRADED


async def submit(ctx: Context, student_id: UUID, cmd: s.SubmissionIn) -> s.SubmissionAccepted:
    """Store the submission and stage `submission.created` in one transaction; grading is async."""
    async with ctx.unit_of_work() as session:
        assignment = await repo.get_assignment(session, cmd.assignment_id)
        if assignment is None:
            raise NotFound("assignment not found", field="assignment_id")
        membership = await repo.enrollment(session, assignment.course_id, student_id)
        require_student(membership.role if membership else None)
        row = await repo.add_submission(session, student_id, cmd.assignment_id, cmd.language, cmd.source)
        event = SubmissionCreated(
            submission_id=row.id,
            assignment_id=row.assignment_id,
            course_id=assignment.course_id,
            student_id=student_id,
            language=row.language,
            source=row.source,
            created_at=row.created_at,
        )
        await add_event(session, outbox, event, correlation_id=str(row.id))
    return s.SubmissionAccepted(id=row.id, status=row.status)


async def view(ctx: Context, viewer_id: UUID, submission_id: UUID) -> s.SubmissionOut:
    async with ctx.sessions() as session:
        row = await repo.get_submission(session, submission_id)
        membership = await repo.enrollment(session, row.course_id, viewer_id) if row else None
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


async def grading_started(ctx: Context, event: GradingStarted, envelope: Envelope) -> None:
    async with ctx.sessions.begin() as session:
        if await claim(session, inbox, envelope.message_id, GATEWAY_GRADING_STARTED.queue):
            await repo.advance_submission(
                session, event.submission_id, earlier_than("running"), status="running"
            )


async def submission_graded(ctx: Context, event: SubmissionGraded, envelope: Envelope) -> None:
    async with ctx.sessions.begin() as session:
        if await claim(session, inbox, envelope.message_id, GATEWAY_SUBMISSION_GRADED.queue):
            await repo.advance_submission(
                session,
                event.submission_id,
                earlier_than("graded"),
                status="graded",
                verdict=event.verdict,
                score=event.score,
                max_score=event.max_score,
                results=[t.model_dump(mode="json") for t in event.tests],
            )

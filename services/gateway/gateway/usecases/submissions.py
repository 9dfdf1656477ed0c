"""Submitting code and following its grading: the gateway's side of a submission's path."""

from collections.abc import AsyncGenerator
from typing import Any
from uuid import UUID

from gateway import schemas as s
from gateway.domain import deadlines
from gateway.domain.access import may_view_submission, require_student
from gateway.domain.errors import Conflict, GatewayError, NotFound, Overloaded
from gateway.domain.records import GradeReceived
from gateway.domain.submissions import earlier_than, results_for_viewer
from gateway.usecases.ports import Context, Intake, Submit, SubmitUnits, Uow
from gradeflow_shared.batching import Batcher
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.errors import FieldError
from gradeflow_shared.events import GradingStarted, SubmissionCreated, SubmissionGraded
from gradeflow_shared.text import storable_json
from gradeflow_shared.topology import GRADER_SUBMISSIONS


def intake(
    units: SubmitUnits,
    max_items: int = 256,
    concurrency: int = 2,
    split_on: tuple[type[Exception], ...] = (),
) -> Intake:
    """Concurrent submits grouped into one unit of work each (group commit, batching.py): one
    read, two multi-row inserts and one commit for a whole batch, instead of four round trips and
    a commit per request. A lone submit goes out at once; under load the batches grow.
    `split_on`: the store's constraint errors, on which each submit of the batch is retried alone
    (a row deleted meanwhile fails its own submit only)."""
    return Batcher(
        lambda batch: accept(units, batch),
        max_items=max_items,
        max_wait=0,
        concurrency=concurrency,
        split_on=split_on,
    )


async def submit(ctx: Context, student_id: UUID, cmd: s.SubmissionIn) -> s.SubmissionAccepted:
    """Store the submission and stage `submission.created` in one unit (shared with concurrent
    submits); grading is asynchronous. Refused at once while the grading backlog is full."""
    if ctx.backlog is not None and ctx.backlog.full(GRADER_SUBMISSIONS.queue):
        raise Overloaded("the grading backlog is full; retry shortly")
    accepted = await ctx.intake.add(Submit(student_id, cmd))
    assert accepted is not None
    return accepted


async def accept(units: SubmitUnits, batch: list[Submit]) -> list[s.SubmissionAccepted | Exception]:
    """Check each submit against its assignment and the caller's enrolment, then store the
    accepted ones and their events together: each submission commits with its event. A submit
    that breaks a rule gets its own error; the others still commit."""
    outcomes: dict[int, s.SubmissionAccepted | Exception] = {}
    async with units() as uow:
        targets = await uow.repos.submit_targets([(b.cmd.assignment_id, b.student_id) for b in batch])
        taken: list[tuple[int, Submit, Any]] = []  # (index in batch, submit, its target)
        for index, b in enumerate(batch):
            target = targets.get((b.cmd.assignment_id, b.student_id))
            try:
                if target is None:
                    raise NotFound("assignment not found", field="assignment_id")
                require_student(target.role)
                _require_open(target, b.cmd.language)
            except FieldError as e:  # the gateway's own, or not found / forbidden
                outcomes[index] = e
            else:
                taken.append((index, b, target))
        if taken:
            rows = await uow.repos.add_submissions(
                [
                    {
                        "student_id": b.student_id,
                        "assignment_id": b.cmd.assignment_id,
                        "language": b.cmd.language,
                        "source": b.cmd.source,
                        **_lateness(target),
                    }
                    for _, b, target in taken
                ]
            )
            for (index, b, target), row in zip(taken, rows, strict=True):
                event = SubmissionCreated(
                    submission_id=row.id,
                    assignment_id=b.cmd.assignment_id,
                    course_id=target.course_id,
                    student_id=b.student_id,
                    language=b.cmd.language,
                    source=b.cmd.source,
                    created_at=row.created_at,
                    suite_version=target.suite_version,
                )
                uow.add_event(event, correlation_id=str(row.id))
                outcomes[index] = s.SubmissionAccepted(id=row.id, status=row.status)
            await uow.commit()
    return [outcomes[i] for i in range(len(batch))]


def _require_open(target: Any, language: str) -> None:
    """The assignment takes this language, and takes work now (the database's clock)."""
    if target.archived_at is not None:
        raise Conflict("the assignment is archived: it takes no more work", field="assignment_id")
    if target.languages and language not in target.languages:
        allowed = ", ".join(target.languages)
        raise GatewayError(f"this assignment takes {allowed} only", field="language")
    refused = deadlines.refusal(target.now, target.due_at, target.close_at, target.late_policy)
    if refused:
        raise Conflict(refused, field="assignment_id")


def _lateness(target: Any) -> dict[str, int]:
    days = deadlines.late_days(target.now, target.due_at)
    percent = deadlines.penalty_percent(days, target.late_policy, target.late_penalty_percent)
    return {"late_days": days, "penalty_percent": percent}


async def view(ctx: Context, viewer_id: UUID, submission_id: UUID) -> s.SubmissionOut:
    row, role = await visible(ctx, viewer_id, submission_id)
    return _view_of(row, role)


async def visible(ctx: Context, viewer_id: UUID, submission_id: UUID) -> tuple[Any, str | None]:
    """The submission and the viewer's role in its course, if the viewer may see it."""
    async with ctx.units() as uow:
        row = await uow.repos.submissions.get_submission(submission_id)
        membership = await uow.repos.courses.enrollment(row.course_id, viewer_id) if row else None
    role = membership.role if membership else None
    children = (membership.children or ()) if membership else ()
    if row is None or not may_view_submission(viewer_id, row.student_id, role, children):
        raise NotFound("submission not found", field="submission_id")
    return row, role


def _view_of(row: Any, role: str | None) -> s.SubmissionOut:
    return s.SubmissionOut(
        id=row.id,
        assignment_id=row.assignment_id,
        student_id=row.student_id,
        language=row.language,
        status=row.status,
        verdict=row.verdict,
        score=row.score,
        max_score=row.max_score,
        raw_score=row.raw_score,
        late_days=row.late_days,
        penalty_percent=row.penalty_percent,
        tests=results_for_viewer(row.results, sees_hidden=role == "teacher"),
        created_at=row.created_at,
        updated_at=row.updated_at,
        suite_version=getattr(row, "suite_version", None),
        override=_override(row),
        grade=row.override_score if _override(row) else row.score,
    )


def _override(row: Any) -> s.OverrideOut | None:
    if getattr(row, "override_score", None) is None:
        return None
    return s.OverrideOut(
        score=row.override_score, reason=row.override_reason, by=row.override_by, at=row.override_at
    )


async def follow(ctx: Context, viewer_id: UUID, submission_id: UUID) -> AsyncGenerator[s.SubmissionOut]:
    """The submission as the viewer may see it, now and after each move, until it is graded. The
    viewer's right to see it is checked once; each move's row comes from the feed."""
    if ctx.feed is None:
        raise GatewayError("live results are not served here", field="submission_id")
    async with ctx.feed.subscribe(submission_id) as moves:  # before the first read: no move missed
        row, role = await visible(ctx, viewer_id, submission_id)
        seen = _view_of(row, role)
        yield seen
        while seen.status != "graded":
            moved = await moves.get()
            if moved is None:  # the feed could not say: read it
                async with ctx.units() as uow:
                    moved = await uow.repos.submissions.get_submission(submission_id)
            now = _view_of(moved, role)
            if (now.status, now.updated_at) != (seen.status, seen.updated_at):
                seen = now
                yield seen


async def grading_started(uow: Uow, event: GradingStarted, _: Envelope) -> None:
    await uow.repos.submissions.advance_submission(
        event.submission_id, earlier_than("running"), status="running"
    )


async def submission_graded(uow: Uow, event: SubmissionGraded, _: Envelope) -> None:
    """The result into the read model; a late submission's score less its penalty (the grader's
    own score kept as `raw_score`). A regrade replaces an earlier version's grade (a teacher's
    override, kept apart, still wins); every grade is kept in the history."""
    grade = GradeReceived(
        raw_score=event.score,
        max_score=event.max_score,
        verdict=event.verdict,
        suite_version=event.suite_version,
        regrade_id=event.regrade_id,
        results=[storable_json(t.model_dump(mode="json")) for t in event.tests],
    )
    await uow.repos.submissions.grade_submission(event.submission_id, earlier_than("graded"), grade)

"""A teacher's grades: regrade an assignment's submissions (all, each student's latest or best) or
one, against the suite's current version; override a grade with a reason; read a submission's
grade history and the course's gradebook.

A regrade is asked once per suite version and scope: asked again, the same regrade answers with
its progress, nothing is sent twice. Its submissions are recorded as its items; the feeder
(`RegradeFeeder`) stages them in the outbox a slice at a time, while the grader's regrade queue is
short — so a live submission's event never waits behind more than a slice of a big regrade's in
the outbox, nor the broker holds a class's sources at once. Each is told whether an override holds
its grade when it is sent (then no one is notified whatever the regrade finds). An override wins
over every grade, regrades included."""

import csv
import io
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from gateway import schemas as s
from gateway.domain.access import TEACHER, require_teacher
from gateway.domain.errors import Forbidden, GatewayError, NotFound
from gateway.domain.records import AssignmentRecord, GradeHistoryLine, Identified, RegradeRecord
from gateway.usecases.catalogue import assignment_taught, role_in
from gateway.usecases.ports import Context, Uow
from gateway.usecases.submissions import visible
from gradeflow_shared.cursor import decode_cursor, encode_cursor
from gradeflow_shared.events import GradeOverridden, SubmissionRegradeRequested
from gradeflow_shared.pacing import Pace
from gradeflow_shared.topology import GRADER_REGRADES

log = logging.getLogger(__name__)

Rule = Literal["latest", "best"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
GRADEBOOK_PAGE = 200  # students a CSV export reads at a time


async def regrade_assignment(
    ctx: Context, actor_id: UUID, assignment_id: UUID, cmd: s.RegradeIn
) -> s.RegradeOut:
    async with ctx.units() as uow:
        # Locked: two teachers asking at once make one regrade.
        assignment = await assignment_taught(uow, actor_id, assignment_id, lock=True)
        version = assignment.suite_version
        kept = await uow.repos.grades.regrade_of(assignment_id, version, cmd.scope, None)
        if kept is None:
            chosen = await uow.repos.grades.regrade_targets(assignment_id, cmd.scope)
            kept = await _regrade(uow, actor_id, assignment, cmd.scope, chosen)
            await uow.commit()
        return await _progress(uow, kept)


async def regrade_submission(ctx: Context, actor_id: UUID, submission_id: UUID) -> s.RegradeOut:
    async with ctx.units() as uow:
        submission = await uow.repos.submissions.get_submission(submission_id)
        if submission is None:
            raise NotFound("submission not found", field="submission_id")
        assignment = await assignment_taught(uow, actor_id, submission.assignment_id, lock=True)
        kept = await uow.repos.grades.regrade_of(
            assignment.id, assignment.suite_version, "one", submission_id
        )
        if kept is None:
            kept = await _regrade(uow, actor_id, assignment, "one", [submission], one=submission_id)
            await uow.commit()
        return await _progress(uow, kept)


async def _regrade(
    uow: Uow,
    actor_id: UUID,
    assignment: AssignmentRecord,
    scope: str,
    chosen: Sequence[Identified],
    one: UUID | None = None,
) -> RegradeRecord:
    return await uow.repos.grades.add_regrade(
        {
            "assignment_id": assignment.id,
            "suite_version": assignment.suite_version,
            "scope": scope,
            "submission_id": one,
            "requested_by": actor_id,
        },
        [c.id for c in chosen],
    )


FEED_SLICE = 200  # regrade events staged at once: what a live submission's may wait behind
FEED_AHEAD = 400  # regrades waiting in the grader's queue before more are fed


@dataclass
class RegradeFeeder:
    """Stages regrades' items in the outbox, a slice at a time, while the grader's regrade queue
    holds fewer than FEED_AHEAD (as the gateway's backlog look-up last saw it)."""

    ctx: Context
    pace: Pace = field(default_factory=lambda: Pace(0.2, 1.0))

    async def run(self) -> None:
        await self.pace.run(self.once, FEED_SLICE, "regrades not fed")

    async def once(self) -> int:
        backlog = self.ctx.backlog
        if backlog is not None and backlog.depths.get(GRADER_REGRADES.queue, 0) >= FEED_AHEAD:
            return 0
        async with self.ctx.units() as uow:
            items = await uow.repos.grades.take_unsent(FEED_SLICE)
            for item in items:
                uow.add_event(
                    SubmissionRegradeRequested(
                        submission_id=item.submission_id,
                        assignment_id=item.assignment_id,
                        course_id=item.course_id,
                        student_id=item.student_id,
                        language=item.language,
                        source=item.source,
                        suite_version=item.suite_version,
                        regrade_id=item.regrade_id,
                        notify=item.override_score is None,
                    ),
                    correlation_id=str(item.submission_id),
                )
            await uow.commit()
        return len(items)

    def stop(self) -> None:
        self.pace.stop()


async def _progress(uow: Uow, regrade: RegradeRecord) -> s.RegradeOut:
    done = await uow.repos.grades.regrade_done(regrade.id, regrade.suite_version)
    kept = {name: getattr(regrade, name) for name in s.RegradeOut.model_fields.keys() - {"done"}}
    return s.RegradeOut(**kept, done=done)


async def regrade_progress(ctx: Context, viewer_id: UUID, regrade_id: UUID) -> s.RegradeOut:
    async with ctx.units() as uow:
        regrade = await uow.repos.grades.get_regrade(regrade_id)
        if regrade is None:
            raise NotFound("regrade not found", field="regrade_id")
        try:
            await role_in(uow, regrade.course_id, viewer_id, require=TEACHER)
        except Forbidden:  # a regrade is its course's teachers' business: others see none
            raise NotFound("regrade not found", field="regrade_id") from None
        return await _progress(uow, regrade)


async def override_grade(ctx: Context, actor_id: UUID, submission_id: UUID, cmd: s.OverrideIn | None) -> None:
    """A teacher's grade in place of the graded one (None: taken back), kept in the history."""
    async with ctx.units() as uow:
        submission = await uow.repos.submissions.get_submission(submission_id)
        if submission is None:
            raise NotFound("submission not found", field="submission_id")
        await role_in(uow, submission.course_id, actor_id, require=TEACHER)
        if cmd is not None:
            if submission.max_score is None:
                raise GatewayError(
                    "the submission is not graded yet: nothing to override", field="submission_id"
                )
            if cmd.score > submission.max_score:
                raise GatewayError(
                    f"at most the submission's max_score ({submission.max_score})", field="score"
                )
        elif submission.override_score is None:
            return  # nothing to take back
        await uow.repos.grades.set_override(
            submission_id, cmd.score if cmd else None, cmd.reason if cmd else None, actor_id
        )
        if submission.max_score is not None:  # to the LMS the course may be linked to
            uow.add_event(
                GradeOverridden(
                    submission_id=submission_id,
                    assignment_id=submission.assignment_id,
                    course_id=submission.course_id,
                    student_id=submission.student_id,
                    score=cmd.score if cmd else None,
                    graded_score=submission.score,
                    max_score=submission.max_score,
                    reason=cmd.reason if cmd else None,
                    at=datetime.now(UTC),
                )
            )
        await uow.commit()


async def history(ctx: Context, viewer_id: UUID, submission_id: UUID) -> Sequence[GradeHistoryLine]:
    """Every grade the submission had, oldest first: to whoever may see the submission."""
    await visible(ctx, viewer_id, submission_id)
    async with ctx.units() as uow:
        return await uow.repos.grades.history(submission_id)


async def gradebook(
    ctx: Context, actor_id: UUID, course_id: UUID, rule: Rule, limit: int, cursor: str | None
) -> s.Gradebook:
    """A page of the course's students (by id), each with their grade per assignment in use."""
    try:
        after = decode_cursor(cursor)[1] if cursor else None
    except ValueError:
        raise GatewayError("not a cursor of this collection", field="cursor") from None
    async with ctx.units() as uow:
        require_teacher(await role_in(uow, course_id, actor_id))
        columns = await uow.repos.grades.course_assignments(course_id)
        students = await uow.repos.grades.students_page(course_id, limit + 1, after)
        page = students[:limit]
        chosen = await uow.repos.grades.chosen_submissions(
            [a.id for a in columns], [p.id for p in page], rule
        ) if page and columns else []  # fmt: skip
    by_student: dict[UUID, list[s.GradebookCell]] = {}
    for c in chosen:
        by_student.setdefault(c.student_id, []).append(
            s.GradebookCell(
                assignment_id=c.assignment_id,
                submission_id=c.id,
                grade=c.grade,
                max_score=c.max_score,
                late_days=c.late_days,
                overridden=c.override_score is not None,
            )
        )
    more = len(students) > limit
    return s.Gradebook(
        rule=rule,
        assignments=[s.GradebookAssignment(id=a.id, title=a.title, due_at=a.due_at) for a in columns],
        items=[
            s.GradebookRow(student_id=p.id, name=p.name, email=p.email, grades=by_student.get(p.id, []))
            for p in page
        ],
        # The students go by id: the cursor's time part is unused (the epoch).
        next_cursor=encode_cursor(EPOCH, page[-1].id) if more else None,
    )


async def gradebook_csv(ctx: Context, actor_id: UUID, course_id: UUID, rule: Rule) -> AsyncIterator[str]:
    """The whole gradebook as CSV, a page of students at a time: a header (student, then a grade
    and max column per assignment), a line per student; empty where not submitted."""
    cursor: str | None = None
    first = True
    while True:
        page = await gradebook(ctx, actor_id, course_id, rule, GRADEBOOK_PAGE, cursor)
        out = io.StringIO()
        writer = csv.writer(out)
        if first:
            header = ["student_id", "name", "email"]
            for a in page.assignments:
                header += [f"{a.title} ({a.id})", f"{a.title} max"]
            writer.writerow(_safe(header))
            first = False
        for row in page.items:
            cells = {c.assignment_id: c for c in row.grades}
            line = [str(row.student_id), row.name, row.email]
            for a in page.assignments:
                cell = cells.get(a.id)
                line += [str(cell.grade), str(cell.max_score)] if cell else ["", ""]
            writer.writerow(_safe(line))
        yield out.getvalue()
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _safe(cells: list[str]) -> list[str]:
    """A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is quoted as text (OWASP CSV
    injection): names and titles are anyone's to choose."""
    return ["'" + c if c[:1] in ("=", "+", "-", "@", "\t", "\r") else c for c in cells]

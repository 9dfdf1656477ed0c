"""A teacher's grades over HTTP: regrades and their progress, overrides, a submission's grade
history, the course's gradebook (JSON pages, or the whole of it as CSV)."""

from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from gateway import schemas as s
from gateway.domain.records import GradeHistoryLine
from gateway.handlers.http.deps import Ctx, User
from gateway.usecases import grades
from gradeflow_shared.cursor import CURSOR_PATTERN
from gradeflow_shared.openapi import errors

router = APIRouter(prefix="/v1", tags=["grades"])
Rule = Annotated[
    Literal["latest", "best"],
    Query(description="Which submission counts: each student's latest graded, or best (overrides count)"),
]


@router.post(
    "/assignments/{assignment_id}/regrades",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=s.RegradeOut,
    responses=errors(404),
)
async def regrade_assignment(assignment_id: UUID, body: s.RegradeIn, ctx: Ctx, user: User) -> s.RegradeOut:
    """Grade the assignment's submissions again — all, or each student's latest or best — against
    its suite's current version, behind live submissions. Asked again for the same version and
    scope: the same regrade and its progress, nothing regraded twice. Students (and parents, if
    the course says so) hear of it only if their grade moved and no override holds it."""
    return await grades.regrade_assignment(ctx, user, assignment_id, body)


@router.post(
    "/submissions/{submission_id}/regrades",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=s.RegradeOut,
    responses=errors(404),
)
async def regrade_submission(submission_id: UUID, ctx: Ctx, user: User) -> s.RegradeOut:
    """Grade one submission again against its assignment's current suite version (once per version)."""
    return await grades.regrade_submission(ctx, user, submission_id)


@router.get("/regrades/{regrade_id}", response_model=s.RegradeOut, responses=errors(404))
async def regrade_progress(regrade_id: UUID, ctx: Ctx, user: User) -> s.RegradeOut:
    """How far a regrade is: `done` of `total` graded by its version (or a later one)."""
    return await grades.regrade_progress(ctx, user, regrade_id)


@router.put(
    "/submissions/{submission_id}/override", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404)
)
async def override_grade(submission_id: UUID, body: s.OverrideIn, ctx: Ctx, user: User) -> Response:
    """A teacher's grade in place of the graded one, with the reason the student is shown. It
    wins over every grade, regrades included, until taken back (DELETE)."""
    await grades.override_grade(ctx, user, submission_id, body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/submissions/{submission_id}/override", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404)
)
async def remove_override(submission_id: UUID, ctx: Ctx, user: User) -> Response:
    await grades.override_grade(ctx, user, submission_id, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/submissions/{submission_id}/grades", response_model=list[GradeHistoryLine], responses=errors(404)
)
async def grade_history(submission_id: UUID, ctx: Ctx, user: User) -> Sequence[GradeHistoryLine]:
    """Every grade the submission had, oldest first: graded, regraded, overridden, taken back."""
    return await grades.history(ctx, user, submission_id)


@router.get("/courses/{course_id}/gradebook", response_model=s.Gradebook, responses=errors(404))
async def gradebook(
    course_id: UUID,
    ctx: Ctx,
    user: User,
    rule: Rule = "latest",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
) -> s.Gradebook:
    """A page of the course's students, each with their grade per assignment in use (the
    override if any, else the score after any late penalty). Its teachers only."""
    return await grades.gradebook(ctx, user, course_id, rule, limit, cursor)


@router.get(
    "/courses/{course_id}/gradebook.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **errors(404)},
)
async def gradebook_csv(course_id: UUID, ctx: Ctx, user: User, rule: Rule = "latest") -> StreamingResponse:
    """The whole gradebook as CSV (for a registrar, an LMS): a line per student, a grade and a
    max column per assignment."""
    lines = grades.gradebook_csv(ctx, user, course_id, rule)
    first = await anext(lines)  # not found, not a teacher: an error before any line is sent
    return StreamingResponse(
        _then(first, lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="gradebook-{course_id}.csv"'},
    )


async def _then(first: str, rest: AsyncIterator[str]) -> AsyncIterator[str]:
    yield first
    async for chunk in rest:
        yield chunk

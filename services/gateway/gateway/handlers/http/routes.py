"""The public API's routes: each turns a request into one use-case call and its result back."""

from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Request, Response, status
from sse_starlette import EventSourceResponse, ServerSentEvent

from gateway import schemas as s
from gateway.handlers.http.deps import Admin, Ctx, Person, User, edge_of, is_admin, read_limited
from gateway.usecases import api_keys, catalogue, listing, runs, submissions
from gradeflow_shared.cursor import CURSOR_PATTERN
from gradeflow_shared.openapi import errors

router = APIRouter(prefix="/v1")


# The hot paths first: routes are matched in the order they are declared.
@router.post(
    "/submissions",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=s.SubmissionAccepted,
    responses=errors(404),  # the assignment named
)
async def submit(body: s.SubmissionIn, ctx: Ctx, user: User) -> s.SubmissionAccepted:
    return await submissions.submit(ctx, user, body)


@router.get("/submissions/{submission_id}", response_model=s.SubmissionOut)
async def get_submission(submission_id: UUID, ctx: Ctx, user: User) -> s.SubmissionOut:
    return await submissions.view(ctx, user, submission_id)


@router.get(
    "/submissions/{submission_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def follow_submission(
    submission_id: UUID, request: Request, ctx: Ctx, user: User
) -> EventSourceResponse:
    """Server-Sent Events: a `status` event with the submission as you may see it (`queued`,
    `running`, `graded` with the result), now and at each move; the stream ends once graded."""
    updates = submissions.follow(ctx, user, submission_id)
    first = await anext(updates)  # not found (or not yours): a plain 404 before any stream

    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            yield ServerSentEvent(data=first.model_dump_json(), event="status", id=first.status)
            async for seen in updates:
                yield ServerSentEvent(data=seen.model_dump_json(), event="status", id=seen.status)
        finally:
            await updates.aclose()

    return EventSourceResponse(events(), ping=edge_of(request).live_ping_seconds)


@router.post("/courses", status_code=status.HTTP_201_CREATED, response_model=s.CourseOut)
async def create_course(body: s.CourseIn, ctx: Ctx, user: User) -> object:
    return await catalogue.create_course(ctx, user, body)


@router.patch("/courses/{course_id}", response_model=s.CourseOut)
async def update_course(course_id: UUID, body: s.CourseUpdate, ctx: Ctx, user: User) -> object:
    """A teacher of the course changes its title or settings (`grades_to_parents`)."""
    return await catalogue.update_course(ctx, user, course_id, body)


@router.post(
    "/courses/{course_id}/enrollments",
    status_code=status.HTTP_201_CREATED,
    response_model=s.EnrollmentOut,
)
async def enroll(
    course_id: UUID, body: s.EnrollmentIn, request: Request, ctx: Ctx, user: User
) -> s.EnrollmentOut:
    """A teacher enrols an account they already teach (in any course); any other, an admin."""
    return await catalogue.enroll(ctx, user, course_id, body, admin=is_admin(request))


MAX_ROSTER_BYTES = 32 * 1024 * 1024  # 100,000 lines are about 6 MB


@router.post(
    "/courses/{course_id}/roster",
    response_model=s.RosterImported,
    tags=["courses"],
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def import_roster(course_id: UUID, request: Request, ctx: Ctx, user: User) -> s.RosterImported:
    """The body is CSV (`Content-Type: text/csv`): a header `name,email,role,child_email`, then a line
        per member; a parent's `child_email` names the student they follow (a line per child for a parent
    who follows several). All lines or none."""
    body = await read_limited(request, MAX_ROSTER_BYTES)
    return await catalogue.import_roster(ctx, user, course_id, body, admin=is_admin(request))


@router.post(
    "/courses/{course_id}/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=s.CourseEventOut,
    tags=["course events"],
)
async def publish_course_event(course_id: UUID, body: s.CourseEventIn, ctx: Ctx, user: User) -> object:
    """Answered at once whatever the audience's size: the notifier reaches each member after."""
    return await catalogue.publish_course_event(ctx, user, course_id, body)


@router.patch(
    "/courses/{course_id}/events/{event_id}",
    response_model=s.CourseEventOut,
    tags=["course events"],
    responses=errors(404, 409),
)
async def correct_course_event(
    course_id: UUID, event_id: UUID, body: s.CourseEventUpdate, ctx: Ctx, user: User
) -> object:
    """A teacher corrects the event's title or body: its audience is told once ("Corrected: …")."""
    return await catalogue.revise_course_event(ctx, user, course_id, event_id, body)


@router.delete(
    "/courses/{course_id}/events/{event_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["course events"],
    responses=errors(404),
)
async def cancel_course_event(course_id: UUID, event_id: UUID, ctx: Ctx, user: User) -> Response:
    """A teacher cancels the event: its audience is told once ("Cancelled: …"); it stays listed, marked."""
    await catalogue.revise_course_event(ctx, user, course_id, event_id, None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/courses/{course_id}/enrollments/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["courses"],
    responses=errors(404, 409),
)
async def remove_member(course_id: UUID, user_id: UUID, ctx: Ctx, user: User) -> Response:
    """A teacher takes a member out: they lose access to the course and are no longer notified
    of it; their submissions and grades stay. (To change a member's role, enrol them again with
    the new one: `POST /v1/courses/{id}/enrollments`.)"""
    await catalogue.remove_member(ctx, user, course_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/courses/{course_id}/assignments",
    status_code=status.HTTP_201_CREATED,
    response_model=s.AssignmentOut,
)
async def create_assignment(course_id: UUID, body: s.AssignmentIn, ctx: Ctx, user: User) -> s.AssignmentOut:
    return await catalogue.create_assignment(ctx, user, course_id, body)


@router.get("/assignments/{assignment_id}", response_model=s.AssignmentOut)
async def get_assignment(assignment_id: UUID, ctx: Ctx, user: User) -> s.AssignmentOut:
    return await catalogue.view_assignment(ctx, user, assignment_id)


@router.patch("/assignments/{assignment_id}", response_model=s.AssignmentOut, responses=errors(404, 409))
async def update_assignment(
    assignment_id: UUID, body: s.AssignmentUpdate, ctx: Ctx, user: User
) -> s.AssignmentOut:
    """A teacher of the course changes it: only the fields sent. A change of its tests, checker or
    limits is the suite's next version (`suite_version`): new submissions are graded by it, those
    graded before keep their grade until regraded (`POST /v1/assignments/{id}/regrades`)."""
    return await catalogue.update_assignment(ctx, user, assignment_id, body)


@router.delete("/assignments/{assignment_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(404))
async def archive_assignment(assignment_id: UUID, ctx: Ctx, user: User) -> Response:
    """Archive it: hidden from the course's list (`?archived=true` lists those), closed to new
    submissions; nothing is deleted — its submissions and grades stay readable."""
    await catalogue.archive_assignment(ctx, user, assignment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/runs", status_code=status.HTTP_202_ACCEPTED, response_model=s.RunAccepted, tags=["runs"])
async def request_run(body: s.RunIn, ctx: Ctx, user: User) -> s.RunAccepted:
    return await runs.request_run(ctx, user, body)


@router.get("/runs/{run_id}", response_model=s.RunOut, tags=["runs"])
async def get_run(run_id: UUID, ctx: Ctx, user: User) -> s.RunOut:
    return await runs.view_run(ctx, user, run_id)


# Collections, a page at a time: newest first; `next_cursor` of one page is `cursor` of the next.
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(pattern=CURSOR_PATTERN, description="`next_cursor` of the page before")]


@router.get("/courses", response_model=s.Page[s.CourseSummary], tags=["courses"])
async def my_courses(ctx: Ctx, user: User, limit: Limit = 50, cursor: Cursor = None) -> object:
    """The caller's courses, with their role in each."""
    return await listing.my_courses(ctx, user, limit, cursor)


@router.get("/courses/{course_id}/assignments", response_model=s.Page[s.AssignmentSummary], tags=["courses"])
async def course_assignments(
    course_id: UUID, ctx: Ctx, user: User, limit: Limit = 50, cursor: Cursor = None, archived: bool = False
) -> object:
    """The course's assignments in use; `archived=true`: those archived instead (its teachers)."""
    return await listing.course_assignments(ctx, user, course_id, limit, cursor, archived)


@router.get("/courses/{course_id}/events", response_model=s.Page[s.CourseEventOut], tags=["course events"])
async def course_events(
    course_id: UUID, ctx: Ctx, user: User, limit: Limit = 50, cursor: Cursor = None
) -> object:
    return await listing.course_events(ctx, user, course_id, limit, cursor)


@router.get("/courses/{course_id}/enrollments", response_model=s.Page[s.MemberOut], tags=["courses"])
async def course_members(
    course_id: UUID,
    ctx: Ctx,
    user: User,
    role: listing.Role | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> object:
    """The course's members, newest enrolled first (teachers of the course only)."""
    return await listing.course_members(ctx, user, course_id, role, limit, cursor)


@router.get("/users/me", response_model=s.UserOut, tags=["users"], responses=errors(404))
async def me(ctx: Ctx, user: User) -> s.UserOut:
    """The caller, as Gradeflow knows them (an identity provider's user: provisioned at first sight)."""
    return await listing.me(ctx, user)


@router.get("/users", response_model=s.Page[s.UserOut], tags=["users"])
async def all_users(
    ctx: Ctx,
    _: Admin,
    email: Annotated[
        str | None, Query(max_length=320, pattern=r"^[^\x00]*$", description="Only the user with this email")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> object:
    """Every user of the platform, newest first (admins only)."""
    return await listing.users(ctx, email, limit, cursor)


@router.get("/submissions", response_model=s.Page[s.SubmissionSummary])
async def my_submissions(
    ctx: Ctx, user: User, assignment_id: UUID | None = None, limit: Limit = 50, cursor: Cursor = None
) -> object:
    """The caller's own submissions, of one assignment if `assignment_id` is given."""
    return await listing.my_submissions(ctx, user, assignment_id, limit, cursor)


@router.get("/assignments/{assignment_id}/submissions", response_model=s.Page[s.SubmissionSummary])
async def assignment_submissions(
    assignment_id: UUID,
    ctx: Ctx,
    user: User,
    per_student: Annotated[
        listing.PerStudent | None,
        Query(description="Only each student's latest, or best (by score, then newest)"),
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> object:
    """A teacher's view of an assignment's submissions."""
    return await listing.assignment_submissions(ctx, user, assignment_id, per_student, limit, cursor)


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, response_model=s.ApiKeyCreated, tags=["auth"])
async def create_api_key(
    body: s.ApiKeyIn, request: Request, response: Response, ctx: Ctx, user: Person
) -> s.ApiKeyCreated:
    """A key for an integration, acting as you within its scopes (`runs`, `submissions`, `read`,
    `write`): send it as `X-API-Key` (or Judge0's `X-Auth-Token`). Shown once: never cached, never
    kept for an Idempotency-Key's replay."""
    response.headers["Cache-Control"] = "no-store"
    edge = edge_of(request)
    return await api_keys.create(ctx.units, user, body, edge.default_runs_rate, is_admin(request))


@router.get("/api-keys", response_model=list[s.ApiKeyOut], tags=["auth"])
async def list_api_keys(ctx: Ctx, user: Person) -> list[s.ApiKeyOut]:
    return await api_keys.listing(ctx.units, user)


@router.put("/api-keys/{key_id}/runs-rate", response_model=s.ApiKeyOut, tags=["auth"])
async def set_key_runs_rate(
    key_id: UUID, body: Annotated[s.KeyRate | None, Body()], request: Request, ctx: Ctx, admin: Admin
) -> s.ApiKeyOut:
    """An admin sets any key's own limit on code runs — per minute or per hour, `{"runs": 0, ...}`
    for none (a Moodle site's key, which runs for all its students) — or drops it with `null`
    (the deployment's per-user limit again)."""
    return await api_keys.set_runs_rate(ctx.units, edge_of(request).api_keys, key_id, body)


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def revoke_api_key(key_id: UUID, request: Request, ctx: Ctx, user: Person) -> None:
    await api_keys.revoke(ctx.units, edge_of(request).api_keys, user, key_id)

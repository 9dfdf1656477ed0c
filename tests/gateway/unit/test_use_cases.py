"""The gateway's use cases in memory: a fake store and unit of work, no database, no broker. Each
use case's main rule and its main failure; a failure commits nothing and publishes nothing."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway import schemas as s
from gateway.domain.errors import Forbidden, NotFound
from gateway.usecases import catalogue, lti, runs, submissions
from gateway.usecases.ports import Context
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import (
    AssignmentPublished,
    CourseEventPublished,
    EnrollmentChanged,
    GradingStarted,
    RunCompleted,
    RunRequested,
    SubmissionCreated,
    SubmissionGraded,
    TestOutcome,
)
from gradeflow_shared.topology import GATEWAY_SUBMISSION_GRADED
from gradeflow_shared.unit_of_work import claimed
from tests.gateway.unit.fakes import FakeRepos, fake_units
from tests.support.fakes import FakeUnits

Units = FakeUnits[FakeRepos]
TESTS = [
    s.TestCaseIn(stdin="1\n", expected_stdout="1\n"),
    s.TestCaseIn(stdin="2\n", expected_stdout="3\n", hidden=True),
]


async def _login(ctx: Context, who: str) -> uuid.UUID:
    user = await catalogue.dev_login(ctx, s.DevLogin(email=f"{who}@example.com", name=who))
    return uuid.UUID(str(user.id))


async def _course(units: Units) -> tuple[Context, uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    """(context, teacher, student, course, assignment)."""
    ctx = _context(units)
    teacher, student = await _login(ctx, "teacher"), await _login(ctx, "student")
    course = await catalogue.create_course(ctx, teacher, s.CourseIn(title="Algorithms"))
    await catalogue.enroll(
        ctx, teacher, course.id, s.EnrollmentIn(user_id=student, role="student"), admin=True
    )
    assignment = await catalogue.create_assignment(
        ctx, teacher, course.id, s.AssignmentIn(title="Sum", tests=TESTS)
    )
    return ctx, teacher, student, course.id, assignment.id


def _context(units: Units) -> Context:
    return Context(units, submissions.intake(units))


def _envelope(event: Any) -> Envelope:
    return Envelope.for_event(event)


async def test_dev_login_is_idempotent_by_email() -> None:
    ctx = _context(fake_units())
    first = await catalogue.dev_login(ctx, s.DevLogin(email="Ada@Example.com", name="Ada"))
    again = await catalogue.dev_login(ctx, s.DevLogin(email="ada@example.com", name="Ada L."))
    assert again.id == first.id and again.name == "Ada L."


async def test_creating_a_course_enrolls_its_teacher_and_announces_it() -> None:
    units = fake_units()
    ctx = _context(units)
    teacher = await _login(ctx, "teacher")
    course = await catalogue.create_course(ctx, teacher, s.CourseIn(title="Algorithms"))
    assert units.repos.store.enrollments[(course.id, teacher)].role == "teacher"
    [event] = units.events(EnrollmentChanged)
    assert (event.course_id, event.user_id, event.role) == (course.id, teacher, "teacher")


async def test_an_unknown_user_cannot_create_a_course() -> None:
    units = fake_units()
    with pytest.raises(NotFound):
        await catalogue.create_course(_context(units), uuid.uuid4(), s.CourseIn(title="x"))
    assert units.published == [] and units.repos.store.courses == {}


async def test_only_a_teacher_enrolls_and_a_parent_must_follow_a_student() -> None:
    units = fake_units()
    ctx, teacher, student, course, _ = await _course(units)
    parent = await _login(ctx, "parent")
    with pytest.raises(Forbidden):
        await catalogue.enroll(
            ctx, student, course, s.EnrollmentIn(user_id=parent, role="student"), admin=True
        )
    with pytest.raises(NotFound) as refused:
        await catalogue.enroll(
            ctx, teacher, course, s.EnrollmentIn(user_id=parent, role="parent", student_id=parent), admin=True
        )
    assert refused.value.field == "student_id"
    before = len(units.published)
    row = await catalogue.enroll(
        ctx, teacher, course, s.EnrollmentIn(user_id=parent, role="parent", student_id=student), admin=True
    )
    assert row.children == [student]
    announced = units.events(EnrollmentChanged)[-1]
    assert (announced.user_id, announced.follows) == (parent, student), "the notifier learns the link"
    assert len(units.published) == before + 1
    second = await _login(ctx, "second-child")
    await catalogue.enroll(ctx, teacher, course, s.EnrollmentIn(user_id=second, role="student"), admin=True)
    row = await catalogue.enroll(
        ctx, teacher, course, s.EnrollmentIn(user_id=parent, role="parent", student_id=second), admin=True
    )
    assert sorted(row.children) == sorted([student, second]), "a second child is followed too"


async def test_a_course_event_is_stored_and_announced_in_one_unit() -> None:
    units = fake_units()
    ctx, teacher, _, course, _ = await _course(units)
    cmd = s.CourseEventIn(title="Exam moved", body="Now on Friday.", category="exam", audience="parents")
    row = await catalogue.publish_course_event(ctx, teacher, course, cmd)
    [event] = units.events(CourseEventPublished)
    assert (event.event_id, event.course_id, event.author_id) == (row.id, course, teacher)
    assert (event.title, event.category, event.priority, event.audience) == (
        "Exam moved",
        "exam",
        "normal",
        "parents",
    )
    assert event.published_at == row.created_at


async def test_only_a_teacher_of_the_course_publishes_an_event() -> None:
    units = fake_units()
    ctx, _, student, course, _ = await _course(units)
    outsider = await _login(ctx, "outsider")
    published = len(units.published)
    cmd = s.CourseEventIn(title="t", body="b", category="announcement")
    with pytest.raises(Forbidden):
        await catalogue.publish_course_event(ctx, student, course, cmd)
    with pytest.raises(NotFound):
        await catalogue.publish_course_event(ctx, outsider, course, cmd)
    assert len(units.published) == published and units.repos.store.course_events == {}


async def test_an_assignment_publishes_its_suite_with_every_limit() -> None:
    units = fake_units()
    ctx, teacher, _, course, _ = await _course(units)
    cmd = s.AssignmentIn(title="Tight", tests=TESTS, time_limit_ms=500, max_output_kb=8, stack_limit_mb=16)
    view = await catalogue.create_assignment(ctx, teacher, course, cmd)
    published = units.events(AssignmentPublished)[-1]
    assert published.assignment_id == view.id
    assert (published.time_limit_ms, published.max_output_kb, published.stack_limit_mb) == (500, 8, 16)
    assert [t.expected_stdout for t in published.tests] == ["1\n", "3\n"]
    assert view.tests[1].expected_stdout == "3\n", "the teacher sees hidden tests"


async def test_a_student_cannot_create_an_assignment() -> None:
    units = fake_units()
    ctx, _, student, course, _ = await _course(units)
    published = len(units.published)
    with pytest.raises(Forbidden):
        await catalogue.create_assignment(ctx, student, course, s.AssignmentIn(title="x", tests=TESTS))
    assert len(units.published) == published


async def test_a_student_sees_the_assignment_without_hidden_data_and_an_outsider_not_at_all() -> None:
    units = fake_units()
    ctx, _, student, _, assignment = await _course(units)
    view = await catalogue.view_assignment(ctx, student, assignment)
    assert (
        view.tests[0].stdin == "1\n" and view.tests[1].stdin is None and view.tests[1].expected_stdout is None
    )
    with pytest.raises(NotFound):
        await catalogue.view_assignment(ctx, await _login(ctx, "outsider"), assignment)


async def test_a_submission_is_stored_queued_and_announced_with_its_id_as_correlation() -> None:
    units = fake_units()
    ctx, _, student, course, assignment = await _course(units)
    accepted = await submissions.submit(
        ctx, student, s.SubmissionIn(assignment_id=assignment, language="python", source="x")
    )
    assert accepted.status == "queued"
    [created] = [p for p in units.published if isinstance(p.event, SubmissionCreated)]
    assert created.event.submission_id == accepted.id and created.event.course_id == course
    assert created.correlation_id == str(accepted.id)


async def test_only_an_enrolled_student_may_submit() -> None:
    units = fake_units()
    ctx, teacher, _, _, assignment = await _course(units)
    with pytest.raises(Forbidden):
        await submissions.submit(
            ctx, teacher, s.SubmissionIn(assignment_id=assignment, language="c", source="x")
        )
    with pytest.raises(NotFound):
        await submissions.submit(
            ctx, teacher, s.SubmissionIn(assignment_id=uuid.uuid4(), language="c", source="x")
        )
    assert units.events(SubmissionCreated) == [] and units.repos.store.submissions == {}


async def test_concurrent_submits_commit_together_and_a_refused_one_fails_alone() -> None:
    units = fake_units()
    ctx, teacher, student, _, assignment = await _course(units)
    commits = units.commits
    ok = s.SubmissionIn(assignment_id=assignment, language="python", source="x")
    results = await asyncio.gather(
        submissions.submit(ctx, student, ok),
        submissions.submit(ctx, teacher, ok),  # a teacher may not submit
        submissions.submit(ctx, student, ok),
        return_exceptions=True,
    )
    first, refused, third = results
    assert isinstance(refused, Forbidden) and refused.field == "assignment_id"
    assert isinstance(first, s.SubmissionAccepted) and isinstance(third, s.SubmissionAccepted)
    assert units.commits == commits + 1, "one unit of work for the three"
    created = {e.submission_id for e in units.events(SubmissionCreated)}
    assert created == {first.id, third.id} == set(units.repos.store.submissions)


async def test_a_submission_is_visible_to_its_student_teacher_and_parent_only() -> None:
    units = fake_units()
    ctx, teacher, student, _, assignment = await _course(units)
    accepted = await submissions.submit(
        ctx, student, s.SubmissionIn(assignment_id=assignment, language="c", source="x")
    )
    assert (await submissions.view(ctx, teacher, accepted.id)).student_id == student
    with pytest.raises(NotFound):
        await submissions.view(ctx, await _login(ctx, "other"), accepted.id)


def _graded(submission_id: uuid.UUID, hidden_stdout: str = "secret") -> SubmissionGraded:
    test = TestOutcome(
        test_id=uuid.uuid4(),
        position=1,
        verdict="wrong_answer",
        weight=1,
        hidden=True,
        time_ms=1.0,
        stdout=hidden_stdout,
    )
    return SubmissionGraded(
        submission_id=submission_id,
        assignment_id=uuid.uuid4(),
        course_id=uuid.uuid4(),
        student_id=uuid.uuid4(),
        verdict="wrong_answer",
        score=0,
        max_score=1,
        tests=(test,),
        graded_at=datetime.now(UTC),
    )


async def test_a_grade_lands_once_and_a_late_grading_started_does_not_hide_it() -> None:
    units = fake_units()
    ctx, _, student, _, assignment = await _course(units)
    accepted = await submissions.submit(
        ctx, student, s.SubmissionIn(assignment_id=assignment, language="c", source="x")
    )
    on_graded = claimed(units, GATEWAY_SUBMISSION_GRADED, submissions.submission_graded)
    graded = _graded(accepted.id)
    envelope = _envelope(graded)
    await on_graded(graded, envelope)
    late = GradingStarted(submission_id=accepted.id, started_at=datetime.now(UTC))
    async with units() as uow:
        await submissions.grading_started(uow, late, _envelope(late))
        await uow.commit()
    view = await submissions.view(ctx, student, accepted.id)
    assert (view.status, view.verdict) == ("graded", "wrong_answer")
    assert "stdout" not in view.tests[0], "a student never sees a hidden test's output"
    commits = units.commits
    await on_graded(graded, envelope)  # redelivered
    assert units.commits == commits, "a redelivery is a no-op: nothing is written again"


async def test_a_run_batch_is_accepted_whole_with_one_event_per_run() -> None:
    units = fake_units()
    ctx = _context(units)
    user = await _login(ctx, "dev")
    cmds = [
        s.RunIn(language="python", source="print(1)", stdin=str(i), max_output_kb=1 + i) for i in range(3)
    ]
    accepted = await runs.request_runs(ctx, user, cmds)
    events = units.events(RunRequested)
    assert [e.run_id for e in events] == [a.id for a in accepted]
    assert [(e.stdin, e.max_output_kb) for e in events] == [("0", 1), ("1", 2), ("2", 3)]


async def test_an_unknown_user_cannot_request_runs() -> None:
    units = fake_units()
    with pytest.raises(NotFound):
        await runs.request_runs(_context(units), uuid.uuid4(), [s.RunIn(language="c", source="x")])
    assert units.published == [] and units.repos.store.runs == {}


async def test_a_completed_run_is_shown_to_its_owner_only() -> None:
    units = fake_units()
    ctx = _context(units)
    owner, other = await _login(ctx, "owner"), await _login(ctx, "other")
    accepted = await runs.request_run(ctx, owner, s.RunIn(language="python", source="print(1)"))
    done = RunCompleted(
        run_id=accepted.id,
        user_id=owner,
        verdict="internal_error",
        stderr="sandbox: down",
        completed_at=datetime.now(UTC),
    )
    async with units() as uow:
        await runs.run_completed(uow, done, _envelope(done))
        await uow.commit()
    again = done.model_copy(update={"verdict": "accepted", "stderr": ""})
    async with units() as uow:
        await runs.run_completed(uow, again, _envelope(again))  # a second result for the same run
        await uow.commit()
    view = await runs.view_run(ctx, owner, accepted.id)
    assert (view.status, view.verdict, view.stderr) == ("done", "internal_error", "sandbox: down"), (
        "the first stays"
    )
    with pytest.raises(NotFound):
        await runs.view_run(ctx, other, accepted.id)


async def test_lti_users_never_take_an_account_by_an_asserted_email() -> None:
    """An email an account has, one given twice in a call, none and one too long: each of those
    people gets a new account under lti.invalid; only the first free email is used as given."""
    units = fake_units()
    taken = await units.repos.store.upsert_user("taken@example.org", "Owner")
    people = [
        ("Taken@Example.org", "A"),
        ("new@example.org", "B"),
        ("new@example.org", "C"),
        (None, "D"),
        ("x" * 320 + "@example.org", "E"),
    ]
    async with units() as uow:
        made = await lti._new_users(uow, people)
    assert len(made) == len(set(made)) == len(people) and taken.id not in made
    emails = [units.repos.store.users[user].email for user in made]
    assert emails[1] == "new@example.org"
    assert all(e.endswith("@lti.invalid") for i, e in enumerate(emails) if i != 1), emails
    assert [units.repos.store.users[user].name for user in made] == ["A", "B", "C", "D", "E"]

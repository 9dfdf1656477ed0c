"""Regrades in memory: a regrade is a run of its own against the suite's newest version, done once
per version; its grade is told only when it moved (and no override holds it); it waits for a slot
free of live work; a live submission is graded once whatever the version."""

import asyncio
import uuid
from datetime import UTC, datetime

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import (
    AssignmentPublished,
    SubmissionCreated,
    SubmissionGraded,
    SubmissionRegradeRequested,
    TestCaseSpec,
)
from gradeflow_shared.topology import GRADER_ASSIGNMENTS
from gradeflow_shared.unit_of_work import claimed
from grader.usecases import grading
from grader.usecases.live import LiveWork
from grader.usecases.ports import GraderContext
from tests.grader.unit.fakes import FakeGraderStore, FakeSandbox, fake_units
from tests.support.fakes import FakeClock, FakeUnits

ASSIGNMENT, COURSE = uuid.uuid4(), uuid.uuid4()


def _suite(version: int, expected: tuple[str, ...]) -> AssignmentPublished:
    """Tests whose input is their position; the fake sandbox echoes it."""
    tests = tuple(
        TestCaseSpec(
            test_id=uuid.uuid4(), position=i, stdin=f"{i}\n", expected_stdout=out, weight=1, hidden=False
        )
        for i, out in enumerate(expected, 1)
    )
    return AssignmentPublished(
        assignment_id=ASSIGNMENT, course_id=COURSE, title="echo", tests=tests, suite_version=version
    )


def _submitted() -> SubmissionCreated:
    return SubmissionCreated(
        submission_id=uuid.uuid4(),
        assignment_id=ASSIGNMENT,
        course_id=COURSE,
        student_id=uuid.uuid4(),
        language="python",
        source="print(input())",
        created_at=datetime.now(UTC),
    )


def _regrade(of: SubmissionCreated, version: int, notify: bool = True) -> SubmissionRegradeRequested:
    return SubmissionRegradeRequested(
        **of.model_dump(
            include={"submission_id", "assignment_id", "course_id", "student_id", "language", "source"}
        ),
        suite_version=version,
        regrade_id=uuid.uuid4(),
        notify=notify,
    )


async def _publish(units: FakeUnits[FakeGraderStore], suite: AssignmentPublished) -> None:
    await claimed(units, GRADER_ASSIGNMENTS, grading.copy_suite)(suite, Envelope.for_event(suite))


def _graded(units: FakeUnits[FakeGraderStore]) -> list[SubmissionGraded]:
    return [p.event for p in units.published if isinstance(p.event, SubmissionGraded)]


async def test_a_regrade_after_a_fix_moves_the_grade_once_and_tells_it() -> None:
    units = fake_units()
    ctx = GraderContext(units, FakeSandbox(), max_output_bytes=4096, clock=FakeClock())
    await _publish(units, _suite(1, ("1\n", "wrong\n")))
    live = _submitted()
    await grading.grade(ctx, live, Envelope.for_event(live))
    await _publish(units, _suite(2, ("1\n", "2\n")))  # the teacher fixes the second test
    asked = _regrade(live, 2)
    for _ in range(2):  # asked twice (or redelivered): graded once for this version
        await grading.regrade(ctx, asked, Envelope.for_event(asked))
    again = grading.grade(ctx, live, Envelope.for_event(live))  # the live one redelivered: nothing
    await again
    first, second = _graded(units)
    assert (first.score, first.suite_version, first.notify, first.regrade_id) == (1, 1, True, None)
    assert (second.score, second.suite_version, second.notify) == (2, 2, True)
    assert second.regrade_id == asked.regrade_id


async def test_a_regrade_that_moves_nothing_or_is_overridden_tells_no_one() -> None:
    units = fake_units()
    ctx = GraderContext(units, FakeSandbox(), max_output_bytes=4096, clock=FakeClock())
    await _publish(units, _suite(1, ("1\n", "2\n")))
    same, overridden = _submitted(), _submitted()
    for live in (same, overridden):
        await grading.grade(ctx, live, Envelope.for_event(live))
    await _publish(units, _suite(2, ("1\n", "2\n", "x\n")))  # a test added: 2 of 3 now
    await _publish(units, _suite(3, ("1\n", "2\n")))  # and taken out again: 2 of 2, as before
    unmoved = _regrade(same, 3)
    await grading.regrade(ctx, unmoved, Envelope.for_event(unmoved))
    held = _regrade(overridden, 2, notify=False)
    await grading.regrade(ctx, held, Envelope.for_event(held))
    regraded = {g.submission_id: g for g in _graded(units) if g.regrade_id is not None}
    assert regraded[same.submission_id].suite_version == 3  # the newest copied
    assert regraded[same.submission_id].notify is False, "2 of 2 before and after"
    assert (
        regraded[overridden.submission_id].score == 2 and regraded[overridden.submission_id].notify is False
    )


async def test_a_regrade_before_its_version_arrives_is_retried() -> None:
    units = fake_units()
    ctx = GraderContext(units, FakeSandbox(), max_output_bytes=4096, clock=FakeClock())
    await _publish(units, _suite(1, ("1\n",)))
    live = _submitted()
    await grading.grade(ctx, live, Envelope.for_event(live))
    early = _regrade(live, 2)
    try:
        await grading.regrade(ctx, early, Envelope.for_event(early))
    except Exception as exc:  # retried through the delay tiers
        assert "version 2" in str(exc)
    else:
        raise AssertionError("graded against a version it had not received")


async def test_a_regrade_waits_for_a_slot_free_of_live_work() -> None:
    live = LiveWork(slots=2)
    order: list[str] = []

    async def regrade() -> None:
        await live.room()
        order.append("regrade")

    async with live.working():
        async with live.working():  # both slots busy with live work
            waiting = asyncio.create_task(regrade())
            await asyncio.sleep(0.01)
            assert not waiting.done(), "a regrade took a slot live work holds"
            order.append("live done")
        await asyncio.wait_for(waiting, 1)
    assert order == ["live done", "regrade"]

"""The grader's use cases in memory: a fake store, unit of work, sandbox and clock. Grading and
ad-hoc runs, their idempotency, and what a sandbox failure becomes on the last attempt."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.errors import PermanentError, TransientError, disposition
from gradeflow_shared.events import (
    AssignmentPublished,
    GradingStarted,
    RunCompleted,
    RunRequested,
    SubmissionCreated,
    SubmissionGraded,
    TestCaseSpec,
)
from gradeflow_shared.limits import RunLimits
from gradeflow_shared.messaging import Messaging, MessagingPolicy
from gradeflow_shared.telemetry import Telemetry
from gradeflow_shared.topology import GRADER_ASSIGNMENTS, GRADER_RUNS, GRADER_SUBMISSIONS
from gradeflow_shared.unit_of_work import claimed
from grader.domain.errors import SandboxError, SuiteNotReceived, UnsupportedLanguage
from grader.domain.grading import Checker, Suite, TestCase, limits_of
from grader.handlers.messages import register
from grader.usecases import grading, languages, runs
from grader.usecases.judging import judge
from grader.usecases.ports import GraderContext
from grader.usecases.suites import SuiteCache, suite_bytes
from tests.grader.unit.fakes import FakeGraderStore, FakeSandbox, fake_units, ran
from tests.support.fakes import FakeClock, FakeUnits, RecordingPublisher


def _suite(weights: tuple[int, ...] = (1, 2, 3)) -> AssignmentPublished:
    tests = tuple(
        TestCaseSpec(
            test_id=uuid.uuid4(),
            position=i,
            stdin=f"{i}\n",
            expected_stdout=f"{i}\n",
            weight=w,
            hidden=i == 3,
        )
        for i, w in enumerate(weights, 1)
    )
    return AssignmentPublished(
        assignment_id=uuid.uuid4(),
        course_id=uuid.uuid4(),
        title="echo",
        tests=tests,
        time_limit_ms=700,
        max_output_kb=2,
        disk_limit_mb=5,
    )


def _submission(suite: AssignmentPublished, language: str = "python") -> SubmissionCreated:
    return SubmissionCreated(
        submission_id=uuid.uuid4(),
        assignment_id=suite.assignment_id,
        course_id=suite.course_id,
        student_id=uuid.uuid4(),
        language=language,
        source="print(input())",
        created_at=datetime.now(UTC),
    )


def _last(envelope: Envelope) -> Envelope:
    return envelope.model_copy(update={"final_attempt": True})


async def _ready(
    sandbox: FakeSandbox,
) -> tuple[GraderContext, FakeUnits[FakeGraderStore], AssignmentPublished]:
    units = fake_units()
    ctx = GraderContext(units, sandbox, max_output_bytes=64 * 1024, clock=FakeClock())
    suite = _suite()
    await claimed(units, GRADER_ASSIGNMENTS, grading.copy_suite)(suite, Envelope.for_event(suite))
    return ctx, units, suite


async def test_grading_started_is_announced_only_once_grading_has_taken_a_while() -> None:
    quick, slow = FakeSandbox(), FakeSandbox(seconds=0.3)
    for sandbox, announced in ((quick, 0), (slow, 1)):
        ctx, units, suite = await _ready(sandbox)
        ctx = replace(ctx, started_after=0.1)
        event = _submission(suite)
        await grading.grade(ctx, event, Envelope.for_event(event, correlation_id="c-1"))
        kinds = [type(p.event) for p in units.published]
        assert kinds == [GradingStarted] * announced + [SubmissionGraded], (sandbox.seconds, kinds)
        assert all(p.correlation_id == "c-1" for p in units.published)


async def test_a_failed_announcement_does_not_stop_grading() -> None:
    ctx, units, suite = await _ready(FakeSandbox(seconds=0.2))
    opened, before = units.__call__, units.opened

    def failing_second_unit() -> Any:  # the first unit records the run; the second announces
        if units.opened == before + 1:
            units.opened += 1
            raise ConnectionError("the database went away")
        return opened()

    ctx = replace(ctx, started_after=0.05, units=failing_second_unit)
    event = _submission(suite)
    await grading.grade(ctx, event, Envelope.for_event(event))
    assert [type(p.event) for p in units.published] == [SubmissionGraded]


async def test_a_suite_is_copied_once_however_often_it_is_delivered() -> None:
    units = fake_units()
    suite = _suite()
    handler = claimed(units, GRADER_ASSIGNMENTS, grading.copy_suite)
    envelope = Envelope.for_event(suite)
    await handler(suite, envelope)
    await handler(suite, envelope)
    assert list(units.repos.suites) == [suite.assignment_id] and units.commits == 1


async def test_a_submission_is_graded_with_partial_credit_within_its_limits() -> None:
    sandbox = FakeSandbox(program=lambda stdin: ran(stdin if stdin != "2\n" else "wrong\n"))
    ctx, units, suite = await _ready(sandbox)
    event = _submission(suite)
    await grading.grade(ctx, event, Envelope.for_event(event, correlation_id="c-1"))
    [started], [graded] = units.events(GradingStarted), units.events(SubmissionGraded)
    assert started.submission_id == graded.submission_id == event.submission_id
    assert (graded.verdict, graded.score, graded.max_score) == ("wrong_answer", 4, 6)
    assert [t.verdict for t in graded.tests] == ["accepted", "wrong_answer", "accepted"]
    assert graded.graded_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert all(p.correlation_id == "c-1" for p in units.published[1:])
    [limits] = sandbox.limits_seen
    assert (limits.time_ms, limits.output_bytes, limits.disk_bytes) == (700, 2048, 5 << 20)
    assert sandbox.disk_seen == [5 << 20], "the compiler's output counts against the disk limit"
    assert sandbox.live == set(), "every build is discarded"


async def test_a_submission_graded_already_is_not_graded_again() -> None:
    sandbox = FakeSandbox()
    ctx, units, suite = await _ready(sandbox)
    event = _submission(suite)
    envelope = Envelope.for_event(event)
    await grading.grade(ctx, event, envelope)
    await grading.grade(ctx, event, envelope)
    assert len(units.events(SubmissionGraded)) == 1 and len(sandbox.limits_seen) == 1


async def test_a_submission_before_its_suite_is_retried_later() -> None:
    ctx = GraderContext(fake_units(), FakeSandbox(), max_output_bytes=1024)
    with pytest.raises(SuiteNotReceived) as error:
        await grading.grade(ctx, _submission(_suite()), Envelope.for_event(_suite()))
    assert disposition(error.value) == "retry"


async def test_a_failing_sandbox_is_retried_then_graded_internal_error_on_the_last_attempt() -> None:
    ctx, units, suite = await _ready(FakeSandbox(failing=True))
    event = _submission(suite)
    envelope = Envelope.for_event(event)
    with pytest.raises(SandboxError) as error:
        await grading.grade(ctx, event, envelope)
    assert isinstance(error.value, TransientError) and units.events(SubmissionGraded) == []
    await grading.grade(ctx, event, _last(envelope))
    [graded] = units.events(SubmissionGraded)
    assert graded.verdict == "internal_error" and graded.score == 0
    assert all("No permissions" in t.message for t in graded.tests)


def _run(expected: str | None = "hi\n", language: str = "python") -> RunRequested:
    return RunRequested(
        run_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        language=language,
        source="print(input())",
        stdin="hi\n",
        expected_stdout=expected,
        requested_at=datetime.now(UTC),
        memory_limit_mb=64,
    )


async def test_a_run_is_judged_when_an_expected_output_is_given() -> None:
    units = fake_units()
    ctx = GraderContext(units, FakeSandbox(), max_output_bytes=1024, clock=FakeClock())
    for expected, verdict in (("hi\n", "accepted"), ("bye\n", "wrong_answer"), (None, "accepted")):
        event = _run(expected)
        await runs.execute_run(ctx, event, Envelope.for_event(event))
        assert units.events(RunCompleted)[-1].verdict == verdict


async def test_a_runs_compile_and_run_may_write_what_its_disk_limit_allows() -> None:
    sandbox = FakeSandbox()
    ctx = GraderContext(fake_units(), sandbox, max_output_bytes=1024, clock=FakeClock())
    event = _run("hi\n").model_copy(update={"disk_limit_mb": 7})
    await runs.execute_run(ctx, event, Envelope.for_event(event))
    assert sandbox.disk_seen == [7 << 20] and sandbox.limits_seen[0].disk_bytes == 7 << 20


async def test_a_run_asked_to_run_n_times_reports_the_average_up_to_the_first_failure() -> None:
    units = fake_units()
    times = iter([10.0, 20.0, 30.0, 40.0])
    outcomes = iter([0, 0, 3, 0])  # the third run fails: the fourth is not counted
    sandbox = FakeSandbox(program=lambda stdin: ran("hi\n", time_ms=next(times), exit_code=next(outcomes)))
    ctx = GraderContext(units, sandbox, max_output_bytes=1024, clock=FakeClock())
    event = _run(None).model_copy(update={"runs": 4, "cpu_extra_ms": 500})
    await runs.execute_run(ctx, event, Envelope.for_event(event))
    done = units.events(RunCompleted)[-1]
    assert (done.verdict, done.time_ms, done.exit_code) == ("runtime_error", 20.0, 3)
    assert sandbox.limits_seen[0].extra_ms == 500


async def test_a_run_redelivered_after_it_completed_is_not_run_again() -> None:
    units = fake_units()
    sandbox = FakeSandbox()
    ctx = GraderContext(units, sandbox, max_output_bytes=1024)
    event = _run()
    envelope = Envelope.for_event(event)
    await runs.execute_run(ctx, event, envelope)
    await runs.execute_run(ctx, event, envelope)
    assert len(units.events(RunCompleted)) == 1 and len(sandbox.limits_seen) == 1


async def test_a_run_in_an_unknown_language_is_dead_lettered() -> None:
    ctx = GraderContext(fake_units(), FakeSandbox(), max_output_bytes=1024)
    with pytest.raises(UnsupportedLanguage) as error:
        await runs.execute_run(ctx, _run(language="cobol"), Envelope.for_event(_run()))
    assert isinstance(error.value, PermanentError) and disposition(error.value) == "dead_letter"


async def test_a_run_whose_sandbox_fails_on_the_last_attempt_completes_as_internal_error() -> None:
    units = fake_units()
    ctx = GraderContext(units, FakeSandbox(failing=True), max_output_bytes=1024)
    event = _run()
    envelope = Envelope.for_event(event)
    with pytest.raises(SandboxError):
        await runs.execute_run(ctx, event, envelope)
    assert units.events(RunCompleted) == []
    await runs.execute_run(ctx, event, _last(envelope))
    [completed] = units.events(RunCompleted)
    assert completed.run_id == event.run_id and completed.verdict == "internal_error"
    assert "No permissions" in completed.stderr


async def test_a_run_that_does_not_compile_says_what_the_compiler_said() -> None:
    units = fake_units()
    ctx = GraderContext(units, FakeSandbox(compile_error="main.c:1: error"), max_output_bytes=1024)
    event = _run(language="c")
    await runs.execute_run(ctx, event, Envelope.for_event(event))
    [completed] = units.events(RunCompleted)
    assert (completed.verdict, completed.compile_output) == ("compilation_error", "main.c:1: error")


async def test_languages_show_each_toolchain_version_and_unavailable_when_missing() -> None:
    async def toolchains() -> dict[str, str]:
        return {"python": "Python 3.11.7"}

    listed = {lang["id"]: lang for lang in await languages.describe(toolchains)}
    assert listed["python"]["version"] == "Python 3.11.7" and listed["java"]["version"] == "unavailable"
    assert "gcc" in listed["c"]["compile_command"] and listed["python"]["compile_command"] is None


async def test_a_checker_decides_its_tests_and_a_build_that_does_not_compile_fails_them_all() -> None:
    cases = [
        TestCase(uuid.uuid4(), 1, "1\n", "one\n", 1, False, comparison="checker"),
        TestCase(uuid.uuid4(), 2, "2\n", "two\n", 1, False, comparison="checker"),
    ]
    limits = limits_of(RunLimits(), 1024)
    sandbox = FakeSandbox(program=lambda stdin: ran("one\n"))
    build = await sandbox.prepare("python", "print('one')")
    results = await judge(sandbox, build, cases, limits, Checker("python", "checker"))
    assert [r.verdict for r in results] == ["accepted", "wrong_answer"]
    without = await judge(sandbox, build, cases, limits, None)
    assert [r.verdict for r in without] == ["internal_error"] * 2, "no checker: never passed by default"
    broken = await FakeSandbox(compile_error="error").prepare("c", "x")
    assert [r.verdict for r in await judge(sandbox, broken, cases, limits, None)] == ["compilation_error"] * 2


async def test_a_suite_is_read_from_the_store_once_then_kept() -> None:
    ctx, units, suite = await _ready(FakeSandbox())
    loads: list[uuid.UUID] = []
    store_load = units.repos.load_suite

    async def counting_load(assignment_id: uuid.UUID) -> Suite | None:
        loads.append(assignment_id)
        return await store_load(assignment_id)

    units.repos.load_suite = counting_load  # type: ignore[method-assign]
    for _ in range(3):
        submission = _submission(suite)
        await grading.grade(ctx, submission, Envelope.for_event(submission))
    assert loads == [suite.assignment_id], "read once: a suite never changes once copied"
    assert len(units.events(SubmissionGraded)) == 3


def test_the_suite_cache_keeps_the_most_recent_within_its_bound() -> None:
    case = TestCase(uuid.uuid4(), 1, "x" * 1000, "y" * 1000, 1, False)
    suite = Suite(RunLimits(), None, [case])
    cache = SuiteCache(max_bytes=3 * suite_bytes(suite))
    ids = [uuid.uuid4() for _ in range(4)]
    for assignment_id in ids[:3]:
        cache.put(assignment_id, suite)
    assert cache.get(ids[0]) is suite  # now the most recently used
    cache.put(ids[3], suite)
    assert cache.get(ids[1]) is None and len(cache) == 3, "the least recently used made room"
    assert all(cache.get(i) is suite for i in (ids[0], ids[2], ids[3]))
    SuiteCache(max_bytes=10).put(ids[0], suite)  # larger than the bound: not kept, no error


@pytest.mark.parametrize(("concurrency", "ahead"), [(1, 1), (4, 0), (2, 3)])
def test_the_grader_takes_submissions_ahead_of_its_slots_and_runs_one_per_slot(
    concurrency: int, ahead: int
) -> None:
    publisher = RecordingPublisher()
    policy = MessagingPolicy(retry_delays_ms=(1000,), handler_timeout_seconds=10, prefetch=16)
    messaging = Messaging.build("amqp://unused/", publisher, policy, Telemetry(publisher))
    ctx = GraderContext(fake_units(), FakeSandbox(), max_output_bytes=1024)
    register(messaging, ctx, concurrency, ahead)
    prefetches = messaging.prefetches()
    assert prefetches[GRADER_SUBMISSIONS.queue] == concurrency + ahead
    assert prefetches[GRADER_RUNS.queue] == concurrency, "runs are not taken ahead"

"""The grader's subscribers: test suites to copy, submissions to grade, ad-hoc runs. They are
FastStream subscribers (faststream's RabbitBroker, through gradeflow_shared.messaging)."""

from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import (
    AssignmentPublished,
    Event,
    GradingStarted,
    RunCompleted,
    RunRequested,
    SubmissionCreated,
    SubmissionGraded,
    SubmissionRegradeRequested,
)
from gradeflow_shared.messaging import Messaging, Mode
from gradeflow_shared.topology import GRADER_ASSIGNMENTS, GRADER_REGRADES, GRADER_RUNS, GRADER_SUBMISSIONS
from grader.usecases import grading, runs
from grader.usecases.ports import GraderContext

PUBLISHES: tuple[type[Event], ...] = (GradingStarted, SubmissionGraded, RunCompleted)


def register(subs: Messaging, ctx: GraderContext, concurrency: int, ahead: int = 0) -> None:
    async def on_submission(event: SubmissionCreated, envelope: Envelope) -> None:
        await grading.grade(ctx, event, envelope)

    async def on_run(event: RunRequested, envelope: Envelope) -> None:
        async with ctx.live.working():
            await runs.execute_run(ctx, event, envelope)

    async def on_regrade(event: SubmissionRegradeRequested, envelope: Envelope) -> None:
        await grading.regrade(ctx, event, envelope)

    subs.add(GRADER_ASSIGNMENTS, AssignmentPublished, grading.copy_suite, mode=Mode.CLAIMED, units=ctx.units)
    # Prefetch = concurrency + ahead: each slot holds one unacknowledged submission, and `ahead`
    # more wait for a slot with their way in done (the sandbox's slots bound what runs at once).
    # Grading and runs are idempotent by business key and by message id, around the sandbox.
    subs.add(
        GRADER_SUBMISSIONS, SubmissionCreated, on_submission, mode=Mode.OUTSIDE, prefetch=concurrency + ahead
    )
    # Runs share the sandbox's slots with submissions; their own queue keeps them from waiting
    # behind a backlog of submissions.
    subs.add(GRADER_RUNS, RunRequested, on_run, mode=Mode.OUTSIDE, prefetch=concurrency)
    # Regrades one at a time, each once a slot is free of live work (usecases/live.py).
    subs.add(GRADER_REGRADES, SubmissionRegradeRequested, on_regrade, mode=Mode.OUTSIDE, prefetch=1)

"""The gateway's subscribers: grading progress and run results from the grader update the read models."""

from gateway.usecases import runs, submissions
from gateway.usecases.context import Context
from gradeflow_shared.consumer import Subscriptions
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import GradingStarted, RunCompleted, SubmissionGraded
from gradeflow_shared.topology import (
    GATEWAY_GRADING_STARTED,
    GATEWAY_RUNS_COMPLETED,
    GATEWAY_SUBMISSION_GRADED,
)


def register(subs: Subscriptions, ctx: Context) -> None:
    async def on_started(event: GradingStarted, envelope: Envelope) -> None:
        await submissions.grading_started(ctx, event, envelope)

    async def on_graded(event: SubmissionGraded, envelope: Envelope) -> None:
        await submissions.submission_graded(ctx, event, envelope)

    async def on_run_completed(event: RunCompleted, envelope: Envelope) -> None:
        await runs.run_completed(ctx, event, envelope)

    subs.add(GATEWAY_GRADING_STARTED, GradingStarted, on_started)
    subs.add(GATEWAY_SUBMISSION_GRADED, SubmissionGraded, on_graded)
    subs.add(GATEWAY_RUNS_COMPLETED, RunCompleted, on_run_completed)

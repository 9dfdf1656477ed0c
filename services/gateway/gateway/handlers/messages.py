"""The gateway's subscribers: grading progress from the grader updates the submissions read model."""

from gateway.usecases import submissions
from gateway.usecases.context import Context
from gradeflow_shared.consumer import Subscriptions
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import GradingStarted, SubmissionGraded
from gradeflow_shared.topology import GATEWAY_GRADING_STARTED, GATEWAY_SUBMISSION_GRADED


def register(subs: Subscriptions, ctx: Context) -> None:
    async def on_started(event: GradingStarted, envelope: Envelope) -> None:
        await submissions.grading_started(ctx, event, envelope)

    async def on_graded(event: SubmissionGraded, envelope: Envelope) -> None:
        await submissions.submission_graded(ctx, event, envelope)

    subs.add(GATEWAY_GRADING_STARTED, GradingStarted, on_started)
    subs.add(GATEWAY_SUBMISSION_GRADED, SubmissionGraded, on_graded)

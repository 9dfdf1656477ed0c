"""The gateway's subscribers: grading progress from the grader updates the submissions read model."""

from faststream.rabbit import RabbitBroker, RabbitRouter
from gradeflow_shared.consumer import Consumer, subscribe
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import GradingStarted, SubmissionGraded
from gradeflow_shared.topology import GATEWAY_GRADING_STARTED, GATEWAY_SUBMISSION_GRADED

from gateway.usecases import submissions
from gateway.usecases.context import Context


def build_router(broker: RabbitBroker, ctx: Context, prefetch: int) -> RabbitRouter:
    router = RabbitRouter()

    async def on_started(event: GradingStarted, envelope: Envelope) -> None:
        await submissions.grading_started(ctx, event, envelope)

    async def on_graded(event: SubmissionGraded, envelope: Envelope) -> None:
        await submissions.submission_graded(ctx, event, envelope)

    subscribe(router, Consumer(broker, GATEWAY_GRADING_STARTED, GradingStarted, on_started), prefetch)
    subscribe(router, Consumer(broker, GATEWAY_SUBMISSION_GRADED, SubmissionGraded, on_graded), prefetch)
    return router

"""The grader's subscribers: test suites to copy, submissions to grade."""

from faststream.rabbit import RabbitBroker, RabbitRouter
from gradeflow_shared.consumer import Consumer, subscribe
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import AssignmentPublished, SubmissionCreated
from gradeflow_shared.topology import GRADER_ASSIGNMENTS, GRADER_SUBMISSIONS

from grader.usecases import grading
from grader.usecases.grading import GraderContext


def build_router(broker: RabbitBroker, ctx: GraderContext, concurrency: int) -> RabbitRouter:
    router = RabbitRouter()

    async def on_assignment(event: AssignmentPublished, envelope: Envelope) -> None:
        await grading.copy_suite(ctx, event, envelope)

    async def on_submission(event: SubmissionCreated, envelope: Envelope) -> None:
        await grading.grade(ctx, event, envelope)

    subscribe(router, Consumer(broker, GRADER_ASSIGNMENTS, AssignmentPublished, on_assignment), 16)
    # Prefetch = concurrency: each slot holds one unacknowledged submission, no more.
    subscribe(router, Consumer(broker, GRADER_SUBMISSIONS, SubmissionCreated, on_submission), concurrency)
    return router

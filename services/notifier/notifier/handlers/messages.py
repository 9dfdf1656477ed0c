"""The notifier's subscribers: enrollment changes keep recipients current; grades fill the inbox."""

from faststream.rabbit import RabbitBroker, RabbitRouter
from gradeflow_shared.consumer import Consumer, subscribe
from gradeflow_shared.db import SessionFactory
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import EnrollmentChanged, SubmissionGraded
from gradeflow_shared.topology import NOTIFIER_GRADES, NOTIFIER_RECIPIENTS

from notifier.usecases import notify


def build_router(broker: RabbitBroker, sessions: SessionFactory, prefetch: int) -> RabbitRouter:
    router = RabbitRouter()

    async def on_enrollment(event: EnrollmentChanged, envelope: Envelope) -> None:
        await notify.record_enrollment(sessions, event, envelope)

    async def on_graded(event: SubmissionGraded, envelope: Envelope) -> None:
        await notify.notify_graded(sessions, event, envelope)

    subscribe(router, Consumer(broker, NOTIFIER_RECIPIENTS, EnrollmentChanged, on_enrollment), prefetch)
    subscribe(router, Consumer(broker, NOTIFIER_GRADES, SubmissionGraded, on_graded), prefetch)
    return router

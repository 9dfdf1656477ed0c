"""The metrics service's subscriber: job telemetry from every other consumer."""

from faststream.rabbit import RabbitBroker, RabbitRouter
from gradeflow_shared.consumer import Consumer, subscribe
from gradeflow_shared.db import SessionFactory
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import JobObserved
from gradeflow_shared.topology import METRICS_TELEMETRY

from metrics.usecases import stats


def build_router(broker: RabbitBroker, sessions: SessionFactory, prefetch: int) -> RabbitRouter:
    router = RabbitRouter()

    async def on_job(event: JobObserved, envelope: Envelope) -> None:
        await stats.record(sessions, event, envelope)

    # report=False: telemetry about telemetry would loop forever.
    subscribe(router, Consumer(broker, METRICS_TELEMETRY, JobObserved, on_job, report=False), prefetch)
    return router

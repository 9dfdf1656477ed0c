"""The metrics service's subscriber: job telemetry from every other consumer."""

from gradeflow_shared.batching import Batcher
from gradeflow_shared.consumer import Subscriptions
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import AlertRaised, AlertResolved, Event, JobsObserved
from gradeflow_shared.topology import METRICS_TELEMETRY
from metrics.usecases import stats
from metrics.usecases.ports import Units

PUBLISHES: tuple[type[Event], ...] = (AlertRaised, AlertResolved)  # the monitor's, to the operators


def register(subs: Subscriptions, units: Units, max_items: int, max_wait: float) -> None:
    # Telemetry comes from every consumer at once, each message a batch of jobs: the messages of
    # the same moment are written together, each handler returning (and its message acked) once
    # its batch is committed.
    batcher: Batcher[tuple[JobsObserved, Envelope], None] = Batcher(
        lambda reports: stats.record_many(units, reports), max_items, max_wait
    )

    async def on_jobs(event: JobsObserved, envelope: Envelope) -> None:
        await batcher.add((event, envelope))

    # report=False: telemetry about telemetry would loop forever.
    subs.add(METRICS_TELEMETRY, JobsObserved, on_jobs, report=False)

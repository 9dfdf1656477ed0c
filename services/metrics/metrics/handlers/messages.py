"""The metrics service's subscriber: job telemetry from every other consumer."""

from gradeflow_shared.batching import Batcher
from gradeflow_shared.consumer import Subscriptions
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import JobObserved
from gradeflow_shared.topology import METRICS_TELEMETRY
from metrics.usecases import stats
from metrics.usecases.ports import Units


def register(subs: Subscriptions, units: Units, max_items: int, max_wait: float) -> None:
    # Telemetry comes many messages at a time (every consumer reports each job): written in
    # batches, each handler returning (and its message acked) once its batch is committed.
    batcher: Batcher[tuple[JobObserved, Envelope], None] = Batcher(
        lambda jobs: stats.record_many(units, jobs), max_items, max_wait
    )

    async def on_job(event: JobObserved, envelope: Envelope) -> None:
        await batcher.add((event, envelope))

    # report=False: telemetry about telemetry would loop forever.
    subs.add(METRICS_TELEMETRY, JobObserved, on_job, report=False)

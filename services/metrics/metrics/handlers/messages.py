"""The metrics service's subscriber: job telemetry from every other consumer."""

from gradeflow_shared.consumer import Subscriptions
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import JobObserved
from gradeflow_shared.topology import METRICS_TELEMETRY
from metrics.usecases import stats
from metrics.usecases.ports import Units


def register(subs: Subscriptions, units: Units) -> None:
    async def on_job(event: JobObserved, envelope: Envelope) -> None:
        await stats.record(units, event, envelope)

    # report=False: telemetry about telemetry would loop forever.
    subs.add(METRICS_TELEMETRY, JobObserved, on_job, report=False)

"""The metrics service's subscriber: job telemetry from every other consumer. It is a
FastStream subscriber (faststream's RabbitBroker, through gradeflow_shared.messaging)."""

from gradeflow_shared.events import AlertRaised, AlertResolved, Event, JobsObserved
from gradeflow_shared.messaging import Messaging, Mode
from gradeflow_shared.topology import METRICS_TELEMETRY
from metrics.usecases import stats
from metrics.usecases.ports import Units

PUBLISHES: tuple[type[Event], ...] = (AlertRaised, AlertResolved)  # the monitor's, to the operators


def register(subs: Messaging, units: Units) -> None:
    # Telemetry comes from every consumer at once, each message a batch of jobs: the messages in
    # hand are written in one unit of work, their rows keyed by message (a redelivery is a no-op).
    # report=False: telemetry about telemetry would loop forever.
    subs.add(METRICS_TELEMETRY, JobsObserved, stats.record, mode=Mode.IDEMPOTENT, units=units, report=False)

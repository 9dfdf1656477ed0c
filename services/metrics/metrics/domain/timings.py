"""Timing arithmetic, pure: wait (published → started) and processing (started → finished), and a
telemetry message as stored."""

from typing import NamedTuple
from uuid import UUID

from gradeflow_shared.events import JobObserved


def wait_ms(job: JobObserved) -> float | None:
    if job.published_at is None:
        return None
    return max(0.0, (job.started_at - job.published_at).total_seconds() * 1000)


def processing_ms(job: JobObserved) -> float:
    return max(0.0, (job.finished_at - job.started_at).total_seconds() * 1000)


class Timing(NamedTuple):
    """One job reported, as stored: keyed by its report's message id and its place in it."""

    telemetry_id: UUID
    job: JobObserved
    wait_ms: float | None
    processing_ms: float

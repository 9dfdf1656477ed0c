"""What a stored row holds, as the metrics service's use cases read it: a protocol a kind, which
the repository's rows (a database row, a fake's record) satisfy by their attributes; or, for what
the API answers with as it is stored (timings, samples, alerts), a record the repository builds."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from gradeflow_shared.events import AlertRule

Fields = Mapping[str, object]  # the columns a write sets, by name


class Aggregate(Protocol):
    """A queue's jobs over one window: counts, averages, and (p50, p95, p99) of each time."""

    processed: int
    retried: int
    dead_lettered: int
    wait_avg: float | None
    processing_avg: float | None
    wait_pcts: Sequence[float] | None
    processing_pcts: Sequence[float] | None
    total_pcts: Sequence[float] | None


@dataclass(frozen=True)
class JobTiming:
    """A job settled on a queue: how long it waited and ran, how it ended."""

    message_id: str
    message_type: str
    outcome: str
    attempt: int
    wait_ms: float | None
    processing_ms: float
    started_at: datetime
    finished_at: datetime
    error: str | None


@dataclass(frozen=True)
class QueueSample:
    """A queue as the monitor sampled it."""

    queue: str
    at: datetime
    ready: int | None
    unacked: int | None
    consumers: int | None
    dead_letters: int | None
    throughput_per_min: float
    wait_p95_ms: float | None
    processing_p95_ms: float | None
    failure_rate: float | None
    health_score: int


@dataclass(frozen=True)
class AlertRecord:
    """An alert raised on a queue by a rule, and resolved once the rule holds again."""

    id: UUID
    queue: str
    rule: AlertRule
    severity: str
    state: str
    value: float
    threshold: float
    message: str
    raised_at: datetime
    resolved_at: datetime | None

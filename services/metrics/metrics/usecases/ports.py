"""What the metrics service's use cases need from the outside: its store, the broker's view of its
queues, and dead-letter operations. Adapters implement them; unit tests pass fakes."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from gradeflow_shared.topology import Route
from gradeflow_shared.unit_of_work import UnitOfWork, UnitsOfWork
from metrics.domain.dead_letters import DeadLetter
from metrics.domain.records import Aggregate, AlertRecord, Fields, JobTiming, QueueSample
from metrics.domain.timings import Timing


class MetricsStore(Protocol):
    async def add_timings(self, timings: list[Timing]) -> None:
        """One row per telemetry message, keyed by its id (a redelivery is a no-op), all in one
        statement."""
        ...

    async def aggregates(self, windows: Sequence[int]) -> Mapping[tuple[str, int], Aggregate]:
        """Per (queue, window): processed, retried, dead_lettered, wait_avg, processing_avg and
        wait_/processing_/total_pcts (p50, p95, p99)."""
        ...

    async def recent_timings(self, queue: str, limit: int) -> Sequence[JobTiming]: ...
    async def add_samples(self, rows: Sequence[Fields]) -> None: ...
    async def samples(self, queue: str | None, since: datetime) -> Sequence[QueueSample]:
        """Queue samples since `since`, by queue then time."""
        ...

    async def prune(self, full_before: datetime, samples_before: datetime, timings_before: datetime) -> None:
        """Samples before `full_before` thinned to one a minute; older samples and timings dropped."""
        ...

    async def lead(self) -> bool:
        """Whether this unit of work may evaluate alerts (one replica at a time)."""
        ...

    async def raised_alerts(self) -> Sequence[AlertRecord]: ...
    async def raise_alert(self, row: Fields) -> bool: ...
    async def resolve_alert(self, queue: str, rule: str, at: datetime) -> AlertRecord | None: ...
    async def list_alerts(self, state: str | None, limit: int) -> Sequence[AlertRecord]: ...


class QueueState(Protocol):
    @property
    def depth(self) -> int: ...
    @property
    def consumers(self) -> int: ...
    @property
    def unacked(self) -> int | None: ...


class QueueProbe(Protocol):
    async def states(self, queues: Sequence[str]) -> Mapping[str, QueueState]:
        """Each named queue that exists and could be asked about."""
        ...


class DeadLetterOps(Protocol):
    async def list(self, route: Route, limit: int) -> tuple[int, list[DeadLetter]]: ...
    async def replay(self, route: Route, message_id: str | None = None) -> int: ...
    async def purge(self, route: Route) -> int: ...


Uow = UnitOfWork[MetricsStore]
Units = UnitsOfWork[MetricsStore]
Unit = UnitOfWork[MetricsStore]

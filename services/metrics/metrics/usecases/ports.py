"""What the metrics service's use cases need from the outside: its store, the broker's view of a
queue, and dead-letter operations. Adapters implement them; unit tests pass fakes."""

from typing import Any, Protocol

from gradeflow_shared.topology import Route
from gradeflow_shared.unit_of_work import UnitOfWork, UnitsOfWork
from metrics.domain.timings import Timing


class MetricsStore(Protocol):
    async def add_timings(self, timings: list[Timing]) -> None:
        """One row per telemetry message, keyed by its id (a redelivery is a no-op), all in one
        statement."""
        ...

    async def aggregates(self, window_seconds: int) -> dict[str, Any]:
        """Per queue, a record with processed, failed, dead_lettered and wait_/processing_ p50, p95, p99."""
        ...


class QueueState(Protocol):
    depth: int
    consumers: int


class QueueProbe(Protocol):
    async def state(self, queue: str) -> QueueState | None:
        """None when the queue does not exist (yet) or the broker cannot be asked."""
        ...


class DeadLetterOps(Protocol):
    async def list(self, route: Route, limit: int) -> tuple[int, list[Any]]: ...
    async def replay(self, route: Route, message_id: str | None = None) -> int: ...
    async def purge(self, route: Route) -> int: ...


Uow = UnitOfWork[MetricsStore]
Units = UnitsOfWork[MetricsStore]

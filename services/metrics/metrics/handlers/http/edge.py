"""What the metrics service's routes need beside their request, as one typed `Edge` kept once on
the app, taken as an `Annotated` dependency (`EdgeOf`)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from gradeflow_shared.auth import Tokens
from metrics.domain.health import Thresholds
from metrics.usecases.ports import DeadLetterOps, QueueProbe, Units


@dataclass(frozen=True)
class Edge:
    units: Units
    probe: QueueProbe  # the broker's depths and consumers
    dead_letters: DeadLetterOps
    tokens: Tokens
    retry_tiers: int
    thresholds_for: Callable[[str], Thresholds]
    stats_window_seconds: int
    drain_target_seconds: float


def edge_of(request: Request) -> Edge:
    edge: Edge = request.app.state.edge
    return edge


EdgeOf = Annotated[Edge, Depends(edge_of)]

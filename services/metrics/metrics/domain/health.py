"""A queue's health, pure: each rule's reading against its threshold (the defaults in
settings.py, each settable per queue), and a score from the worst of them.

Score 100 means every reading is at zero; 0 means some rule is at or past its threshold. The label
follows the score: excellent (every reading under half its threshold), good (under 80 %), warning
(approaching), critical (a threshold crossed: an alert's condition)."""

from dataclasses import dataclass, replace
from typing import Any, Literal

from gradeflow_shared.events import AlertRule

Health = Literal["excellent", "good", "warning", "critical"]
RULES: tuple[AlertRule, ...] = ("wait", "processing", "failure_rate", "backlog", "stalled")


@dataclass(frozen=True)
class Thresholds:
    """When a queue is in trouble. Wait and processing are averages over the last 5 minutes;
    the failure rate is failed attempts over all attempts in that window; backlog is messages
    ready; stalled is fewer than `min_throughput_per_min` jobs done in the last minute while
    messages wait."""

    wait_ms: float = 30_000
    processing_ms: float = 120_000
    failure_rate: float = 0.10
    backlog: float = 50
    min_throughput_per_min: float = 1.0

    def overridden(self, changes: dict[str, Any]) -> "Thresholds":
        return replace(self, **changes)


@dataclass(frozen=True)
class Reading:
    """What a queue shows now, as the rules read it."""

    backlog: int | None  # messages ready; None when the broker could not be asked
    avg_wait_ms: float | None  # over the last 5 minutes; None without jobs
    avg_processing_ms: float | None
    failure_rate: float | None  # None without attempts
    throughput_1m: float  # jobs done in the last minute


@dataclass(frozen=True)
class Check:
    rule: AlertRule
    value: float
    threshold: float
    ratio: float  # value / threshold: 1 or more is a breach

    @property
    def breached(self) -> bool:
        return self.ratio >= 1.0


def checks(reading: Reading, t: Thresholds) -> list[Check]:
    """Every rule with a reading (a rule without one, no jobs for an average say, is not judged)."""
    found: list[Check] = []

    def add(rule: AlertRule, value: float | None, threshold: float) -> None:
        if value is not None:
            found.append(Check(rule, value, threshold, value / threshold if threshold > 0 else 0.0))

    add("wait", reading.avg_wait_ms, t.wait_ms)
    add("processing", reading.avg_processing_ms, t.processing_ms)
    add("failure_rate", reading.failure_rate, t.failure_rate)
    # A backlog over its threshold breaches: 50 waiting is fine, 51 is a breach.
    if reading.backlog is not None:
        found.append(Check("backlog", reading.backlog, t.backlog, reading.backlog / (t.backlog + 1)))
    if reading.backlog:
        # Stalled: work waits and (almost) none gets done. Its ratio is 1 at a standstill, and
        # falls as throughput climbs towards the minimum.
        shortfall = max(0.0, 1 - reading.throughput_1m / t.min_throughput_per_min)
        found.append(Check("stalled", reading.throughput_1m, t.min_throughput_per_min, shortfall))
    return found


def score(found: list[Check]) -> tuple[int, Health]:
    worst = max((c.ratio for c in found), default=0.0)
    value = max(0, round(100 * (1 - min(worst, 1.0))))
    if worst >= 1.0:
        return 0, "critical"
    if worst >= 0.8:
        return value, "warning"
    if worst >= 0.5:
        return value, "good"
    return value, "excellent"

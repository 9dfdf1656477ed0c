"""The performance report, pure: from a queue's recent depth and its rate of work, whether its
backlog grows, when it drains, and how many consumers would drain it within a target."""

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Outlook:
    trend_per_min: float | None  # change of the backlog a minute (least squares); None: too few samples
    drain_seconds: float | None  # at the current rates; None when it does not drain
    consumers_needed: int | None  # to drain within the target at today's rate per consumer
    recommendations: tuple[str, ...]


def trend_per_min(samples: list[tuple[datetime, int]]) -> float | None:
    """Least-squares slope of (time, depth), in messages a minute."""
    if len(samples) < 2:
        return None
    t0 = samples[0][0]
    xs = [(t - t0).total_seconds() / 60 for t, _ in samples]
    ys = [float(d) for _, d in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    if var == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var


def outlook(
    queue: str,
    depth: int | None,
    consumers: int | None,
    done_per_min: float,
    samples: list[tuple[datetime, int]],
    target_seconds: float,
    failure_rate: float | None,
    dead_letters: int | None,
) -> Outlook:
    trend = trend_per_min(samples)
    advice: list[str] = []
    drain: float | None = None
    needed: int | None = None
    if depth:
        # Arrivals are what was done plus what the backlog grew by.
        arriving = max(0.0, done_per_min + (trend or 0.0))
        net = done_per_min - arriving
        drain = depth / net * 60 if net > 0 else None
        if consumers and done_per_min > 0:
            per_consumer = done_per_min / consumers
            needed = math.ceil((arriving + depth / (target_seconds / 60)) / per_consumer)
        if not consumers:
            advice.append(
                f"{queue}: {depth} waiting and no consumer: start one (or check it is not crashing)"
            )
        elif drain is None:
            advice.append(
                f"{queue}: backlog of {depth} is not draining ({done_per_min:.1f}/min done,"
                f" growing {trend or 0:.1f}/min): add consumers"
                + (f" ({needed} needed to drain within {target_seconds:.0f} s)" if needed else "")
            )
        elif drain > target_seconds and needed is not None and needed > consumers:
            advice.append(
                f"{queue}: backlog drains in {drain:.0f} s at {done_per_min:.1f}/min;"
                f" {needed} consumers (now {consumers}) would drain it within {target_seconds:.0f} s"
            )
    if failure_rate is not None and failure_rate >= 0.05:
        advice.append(f"{queue}: {failure_rate:.0%} of attempts fail: read the errors in its dead letters")
    if dead_letters:
        advice.append(f"{queue}: {dead_letters} dead letters: inspect, then replay or purge them")
    return Outlook(trend, drain, needed, tuple(advice))

"""An assignment's deadline, pure: whether a submission made now is on time, late (and how many
days: each day begun counts) or refused, and what a late one's penalty takes off its score."""

import math
from datetime import UTC, datetime, timedelta
from typing import Literal

LatePolicy = Literal["accept", "penalty", "refuse"]
DAY = timedelta(days=1)
# A deadline is a moment of a course's life: years 2000 to 2199 (UTC). Outside, a typo (year 1,
# year 20260) — and a moment that PostgreSQL and clients' time zones cannot all represent.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def out_of_range(moment: datetime | None) -> str | None:
    if moment is not None and not EARLIEST <= moment < LATEST:
        return f"a deadline between {EARLIEST.year} and {LATEST.year - 1} (UTC)"
    return None


def out_of_order(due_at: datetime | None, close_at: datetime | None) -> str | None:
    """Work closes at or after it is due, never before."""
    if due_at is not None and close_at is not None and close_at < due_at:
        return "close_at is before due_at: work would close before it is due"
    return None


def late_days(submitted_at: datetime, due_at: datetime | None) -> int:
    if due_at is None or submitted_at <= due_at:
        return 0
    return math.ceil((submitted_at - due_at) / DAY)


def refusal(
    submitted_at: datetime, due_at: datetime | None, close_at: datetime | None, policy: LatePolicy
) -> str | None:
    """Why a submission made at `submitted_at` is refused, or None: after `close_at` whatever the
    policy; after `due_at` when the policy refuses late work."""
    if close_at is not None and submitted_at > close_at:
        return f"the assignment closed at {close_at.isoformat()}"
    if policy == "refuse" and late_days(submitted_at, due_at):
        return f"the assignment was due at {due_at.isoformat() if due_at else ''} and takes no late work"
    return None


def penalty_percent(days_late: int, policy: LatePolicy, percent_per_day: int) -> int:
    """The share of the score a late submission loses (0-100)."""
    return min(100, days_late * percent_per_day) if policy == "penalty" else 0


def penalised(score: int, percent: int) -> int:
    return score * (100 - percent) // 100

"""A queue's health and its alerts, pure: the default thresholds, the score's bands, an alert
raised only after its breach has lasted, resolved only after the reading has stayed under the
hysteresis band, and no flapping in between; the performance outlook's arithmetic."""

from datetime import UTC, datetime, timedelta

import pytest

from metrics.domain.alerts import AlertBook, AlertPolicy
from metrics.domain.health import Check, Reading, Thresholds, checks, score
from metrics.domain.performance import outlook, trend_per_min

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def reading(**changes: object) -> Reading:
    base = {
        "backlog": 0,
        "avg_wait_ms": 100.0,
        "avg_processing_ms": 200.0,
        "failure_rate": 0.0,
        "throughput_1m": 30.0,
    }
    return Reading(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "breached"),
    [
        ({"avg_wait_ms": 30_001.0}, {"wait"}),
        ({"avg_wait_ms": 29_000.0}, set()),
        ({"avg_processing_ms": 121_000.0}, {"processing"}),
        ({"failure_rate": 0.11}, {"failure_rate"}),
        ({"failure_rate": 0.09}, set()),
        ({"backlog": 51}, {"backlog"}),
        ({"backlog": 50}, set()),
        ({"backlog": 3, "throughput_1m": 0.0}, {"stalled"}),
        ({"backlog": 3, "throughput_1m": 1.0}, set()),
        ({"backlog": 0, "throughput_1m": 0.0}, set()),  # idle is not stalled
    ],
)
def test_the_seeds_thresholds_are_the_defaults(changes: dict[str, object], breached: set[str]) -> None:
    found = checks(reading(**changes), Thresholds())
    assert {c.rule for c in found if c.breached} == breached


def test_a_rule_without_a_reading_is_not_judged_and_overrides_apply_per_queue() -> None:
    found = checks(reading(avg_wait_ms=None, failure_rate=None, backlog=None), Thresholds())
    assert {c.rule for c in found} == {"processing"}
    assert checks(reading(backlog=60), Thresholds().overridden({"backlog": 100}))[-1].breached is False


def test_the_score_follows_the_worst_reading() -> None:
    assert score(checks(reading(), Thresholds())) == (100, "excellent")
    assert score(checks(reading(avg_wait_ms=6000.0), Thresholds())) == (80, "excellent")
    assert score(checks(reading(backlog=30), Thresholds()))[1] == "good"
    assert score(checks(reading(backlog=45), Thresholds()))[1] == "warning"
    assert score(checks(reading(backlog=51), Thresholds())) == (0, "critical")


def _backlog(value: float) -> Check:
    return Check("backlog", value, 50, value / 51)


def test_an_alert_is_raised_after_its_breach_lasted_and_resolved_once_after_it_stayed_clear() -> None:
    book = AlertBook(AlertPolicy(raise_after_seconds=10, resolve_after_seconds=30, resolve_ratio=0.8))
    at = [T0 + timedelta(seconds=5 * i) for i in range(40)]
    assert book.step("q", "backlog", _backlog(100), at[0]) is None
    assert book.step("q", "backlog", _backlog(100), at[1]) is None
    assert book.step("q", "backlog", _backlog(100), at[2]) == "raise"
    assert book.step("q", "backlog", _backlog(100), at[3]) is None, "raised once"
    # Under the threshold but above the hysteresis band (80 %): still raised, however long.
    for i in range(4, 12):
        assert book.step("q", "backlog", _backlog(45), at[i]) is None
    # Clear, then a spike back: the clear time starts over.
    assert book.step("q", "backlog", _backlog(10), at[12]) is None
    assert book.step("q", "backlog", _backlog(60), at[13]) is None
    transitions = [book.step("q", "backlog", _backlog(0), at[i]) for i in range(14, 30)]
    assert transitions.count("resolve") == 1 and transitions.index("resolve") == 6
    assert book.active() == set()


def test_a_breach_shorter_than_the_hold_time_raises_nothing() -> None:
    book = AlertBook(AlertPolicy(raise_after_seconds=10))
    for i, value in enumerate([100, 100, 0, 100, 100, 0, 100]):
        assert book.step("q", "backlog", _backlog(value), T0 + timedelta(seconds=5 * i)) is None


def test_stalled_waits_a_minute_and_a_restored_book_knows_the_raised_alerts() -> None:
    book = AlertBook(AlertPolicy(raise_after_seconds=10, stalled_raise_after_seconds=60))
    stalled = Check("stalled", 0, 1, 1.0)
    assert [book.step("q", "stalled", stalled, T0 + timedelta(seconds=s)) for s in (0, 30, 59, 60)] == [
        None,
        None,
        None,
        "raise",
    ]
    other = AlertBook(AlertPolicy())
    other.restore({("q", "stalled")})
    assert other.active() == {("q", "stalled")}
    other.restore(set())
    assert other.active() == set()


def test_the_outlook_says_when_a_backlog_drains_and_how_many_consumers_would_drain_it_in_time() -> None:
    growing = [(T0 + timedelta(minutes=m), 100 + 20 * m) for m in range(5)]
    assert trend_per_min(growing) == pytest.approx(20)
    view = outlook("q", 180, 2, 10.0, growing, 300, 0.0, 0)
    # Arrivals 30/min; 5/min per consumer; to drain 180 in 5 min as well: (30 + 36) / 5 → 14.
    assert view.drain_seconds is None and view.consumers_needed == 14
    assert "not draining" in view.recommendations[0]
    shrinking = [(T0 + timedelta(minutes=m), 500 - 50 * m) for m in range(5)]
    view = outlook("q", 300, 1, 60.0, shrinking, 120, 0.2, 4)
    assert view.drain_seconds == pytest.approx(360) and view.consumers_needed == 3
    assert len(view.recommendations) == 3, "drain, failures and dead letters"
    assert (
        outlook("q", 5, 0, 0.0, [], 300, None, None)
        .recommendations[0]
        .startswith("q: 5 waiting and no consumer")
    )

"""The monitor's passes in memory (a fake store, broker and clock): a backlog held past the hold
time raises one alert, stored and announced as `alert.raised`; while the broker cannot be asked
the alert stays as it was; the backlog gone for the resolve time, one `alert.resolved`; a pass
that is not the leader's changes nothing; every pass is sampled."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gradeflow_shared.events import AlertRaised, AlertResolved
from gradeflow_shared.topology import GRADER_SUBMISSIONS, ROUTES
from metrics.domain.alerts import AlertPolicy
from metrics.domain.health import Thresholds
from metrics.usecases.monitor import Monitor, MonitorConfig
from tests.metrics.unit.test_use_cases import FakeMetricsStore, FakeProbe
from tests.support.fakes import FakeClock, FakeUnits, record

Q = GRADER_SUBMISSIONS.queue


class MonitorStore(FakeMetricsStore):
    def __init__(self) -> None:
        super().__init__()
        self.leader = True
        self.alerts: list[Any] = []
        self.sampled: list[dict[str, Any]] = []

    async def lead(self) -> bool:
        return self.leader

    async def raised_alerts(self) -> Sequence[Any]:
        return [a for a in self.alerts if a.state == "raised"]

    async def raise_alert(self, row: dict[str, Any]) -> bool:
        if any(a.queue == row["queue"] and a.rule == row["rule"] for a in await self.raised_alerts()):
            return False
        self.alerts.append(record(state="raised", resolved_at=None, **row))
        return True

    async def resolve_alert(self, queue: str, rule: str, at: datetime) -> Any:
        for a in await self.raised_alerts():
            if (a.queue, a.rule) == (queue, rule):
                a.state, a.resolved_at = "resolved", at
                return a
        return None

    async def add_samples(self, rows: list[dict[str, Any]]) -> None:
        self.sampled += rows

    async def prune(self, *_: datetime) -> None:
        return None


async def test_a_held_backlog_raises_once_an_unknown_depth_holds_and_its_end_resolves_once() -> None:
    store, clock = MonitorStore(), FakeClock()
    units = FakeUnits(store)
    probe = FakeProbe({Q: 100})
    policy = AlertPolicy(raise_after_seconds=10, resolve_after_seconds=30)
    monitor = Monitor(units, probe, lambda _: Thresholds(), MonitorConfig(policy=policy), clock)

    async def passes(n: int) -> list[str]:
        kinds = []
        for _ in range(n):
            kinds += [f"{a.state}:{a.rule}" for a in await monitor.tick()]
            clock.advance(5)
        return kinds

    assert await passes(2) == [] and await passes(1) == ["raised:backlog"]
    assert await passes(4) == [], "raised once"
    assert [type(e) for e in units.events(AlertRaised)] == [AlertRaised]
    assert monitor.active() == {(Q, "backlog")}
    probe.depths = {}  # the broker cannot be asked: no breach, no all clear
    assert await passes(10) == [] and monitor.active() == {(Q, "backlog")}
    probe.depths = {Q: 0}
    assert await passes(6) == [] and await passes(1) == ["resolved:backlog"]
    assert await passes(4) == []
    [resolved] = units.events(AlertResolved)
    assert resolved.queue == Q and resolved.resolved_at is not None and "resolved" in resolved.message
    assert len(store.sampled) == len(ROUTES) * 28, "every queue sampled at every pass"


async def test_a_pass_that_does_not_lead_changes_nothing() -> None:
    store, clock = MonitorStore(), FakeClock()
    store.leader = False
    monitor = Monitor(FakeUnits(store), FakeProbe({Q: 100}), lambda _: Thresholds(), MonitorConfig(), clock)
    for _ in range(10):
        assert await monitor.tick() == []
        clock.advance(5)
    assert store.alerts == [] and store.sampled == [] and monitor.latest, "measured, not evaluated"

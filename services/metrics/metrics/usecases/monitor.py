"""The monitor: every few seconds each queue is measured (stats.queue_stats), sampled into the
history the dashboard draws, and its rules stepped through the alert book; an alert raised or
resolved is stored and announced (alert.raised / alert.resolved, through the outbox) in the same
unit of work. Replicas take turns: only the one holding the lock for a pass evaluates and samples."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gradeflow_shared.events import AlertChanged, AlertRaised, AlertResolved, AlertRule
from gradeflow_shared.ids import new_id
from metrics.domain.alerts import AlertBook, AlertPolicy
from metrics.domain.health import RULES, Check, Thresholds
from metrics.usecases import stats
from metrics.usecases.ports import QueueProbe, Units, Uow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MonitorConfig:
    sample_seconds: float = 5.0
    retry_tiers: int = 4
    policy: AlertPolicy = field(default_factory=AlertPolicy)
    full_history_seconds: float = 3600.0  # samples kept as taken; older ones one a minute
    history_retention_seconds: float = 7 * 86400.0
    timings_retention_seconds: float = 86400.0
    prune_every_seconds: float = 60.0


# Rules read from the queue's depth: without one (the broker unreachable) their state is kept.
DEPTH_RULES = ("backlog", "stalled")
UNITS = {"wait": "ms", "processing": "ms", "failure_rate": "", "backlog": " messages", "stalled": "/min"}


def describe(queue: str, check: Check) -> str:
    unit = UNITS[check.rule]
    if check.rule == "failure_rate":
        return f"{queue}: {check.value:.0%} of attempts failed in 5 min (threshold {check.threshold:.0%})"
    if check.rule == "stalled":
        return (
            f"{queue}: messages wait and {check.value:g} were done in the last minute"
            f" (minimum {check.threshold:g}/min)"
        )
    if check.rule == "backlog":
        return f"{queue}: {check.value:g} messages waiting (threshold {check.threshold:g})"
    return (
        f"{queue}: average {check.rule} time {check.value:.0f}{unit} over 5 min"
        f" (threshold {check.threshold:g}{unit})"
    )


class Monitor:
    def __init__(
        self,
        units: Units,
        probe: QueueProbe,
        thresholds_for: Callable[[str], Thresholds],
        config: MonitorConfig,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._units = units
        self._probe = probe
        self._thresholds_for = thresholds_for
        self._config = config
        self._clock = clock
        self._book = AlertBook(config.policy)
        self._stop = asyncio.Event()
        self._last_prune: datetime | None = None
        self.latest: list[dict[str, Any]] = []  # the last pass's reports (Prometheus reads them)

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.tick()
            except Exception:  # a pass that failed (the database away) is tried again next time
                log.exception("monitor pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._config.sample_seconds)

    def stop(self) -> None:
        self._stop.set()

    def active(self) -> set[tuple[str, str]]:
        """The alerts raised as of the last pass (as this replica knows them)."""
        return set(self._book.active())

    async def tick(self) -> list[AlertChanged]:
        """One pass; returns the alerts it raised or resolved."""
        reports = await stats.queue_stats(
            self._units, self._probe, self._config.retry_tiers, self._thresholds_for, window_seconds=300
        )
        self.latest = reports
        now = self._clock()
        changed: list[AlertChanged] = []
        async with self._units() as uow:
            if not await uow.repos.lead():
                return []  # another replica's pass
            raised = {(a.queue, a.rule) for a in await uow.repos.raised_alerts()}
            self._book.restore(raised)
            for report in reports:
                found = {c["rule"]: c for c in report["health"]["checks"]}
                for rule in RULES:
                    if report["depth"] is None and rule in DEPTH_RULES:
                        continue  # the broker could not say: neither breach nor all clear
                    changed += await self._step(uow, report["queue"], rule, found.get(rule), now)
            await uow.repos.add_samples([_sample(r, now) for r in reports])
            if (
                self._last_prune is None
                or (now - self._last_prune).total_seconds() >= self._config.prune_every_seconds
            ):
                c = self._config
                await uow.repos.prune(
                    now - timedelta(seconds=c.full_history_seconds),
                    now - timedelta(seconds=c.history_retention_seconds),
                    now - timedelta(seconds=c.timings_retention_seconds),
                )
                self._last_prune = now
            await uow.commit()
        for alert in changed:
            log.warning("alert %s: %s", alert.state, alert.message)
        return changed

    async def _step(
        self, uow: Uow, queue: str, rule: AlertRule, found: dict[str, Any] | None, now: datetime
    ) -> list[AlertChanged]:
        check = Check(rule, found["value"], found["threshold"], found["ratio"]) if found else None
        transition = self._book.step(queue, rule, check, now)
        if transition == "raise" and check is not None:
            row = {
                "id": new_id(),
                "queue": queue,
                "rule": rule,
                "severity": "critical" if check.ratio >= 2 else "warning",
                "value": check.value,
                "threshold": check.threshold,
                "message": describe(queue, check),
                "raised_at": now,
            }
            if await uow.repos.raise_alert(row):
                event: AlertChanged = AlertRaised(alert_id=row.pop("id"), state="raised", **row)
                uow.add_event(event)
                return [event]
        if transition == "resolve":
            alert = await uow.repos.resolve_alert(queue, rule, now)
            if alert is not None:
                resolved: AlertChanged = AlertResolved(
                    alert_id=alert.id,
                    queue=queue,
                    rule=rule,
                    state="resolved",
                    severity=alert.severity,
                    value=check.value if check else 0.0,
                    threshold=alert.threshold,
                    message=f"resolved: {alert.message}",
                    raised_at=alert.raised_at,
                    resolved_at=now,
                )
                uow.add_event(resolved)
                return [resolved]
        return []


def _sample(report: dict[str, Any], now: datetime) -> dict[str, Any]:
    one = report["windows"]["1m"]
    return {
        "queue": report["queue"],
        "at": now,
        "ready": report["depth"],
        "unacked": report["unacked"],
        "consumers": report["consumers"],
        "dead_letters": report["dead_letters"],
        "throughput_per_min": one["throughput_per_min"],
        "wait_p95_ms": one["wait_ms"]["p95"],
        "processing_p95_ms": one["processing_ms"]["p95"],
        "failure_rate": one["failure_rate"],
        "health_score": report["health"]["score"],
    }

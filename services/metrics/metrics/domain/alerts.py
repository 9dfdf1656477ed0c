"""Alerts raised and resolved without flapping, pure. A rule's breach must last `raise_after`
seconds before its alert is raised; the alert resolves once the reading has stayed below
`resolve_ratio` of the threshold (hysteresis) for `resolve_after` seconds. A reading that crosses
back and forth inside those bands changes nothing."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from gradeflow_shared.events import AlertRule
from metrics.domain.health import Check

Transition = Literal["raise", "resolve"]


@dataclass(frozen=True)
class AlertPolicy:
    raise_after_seconds: float = 10.0
    # Stalled needs a minute of history: a backlog that just arrived has had no time to be worked.
    stalled_raise_after_seconds: float = 60.0
    resolve_after_seconds: float = 30.0
    resolve_ratio: float = 0.8

    def raise_after(self, rule: AlertRule) -> float:
        return self.stalled_raise_after_seconds if rule == "stalled" else self.raise_after_seconds


@dataclass
class RuleState:
    active: bool = False
    breach_since: datetime | None = None
    clear_since: datetime | None = None


@dataclass
class AlertBook:
    """The state of every (queue, rule), as the evaluator keeps it between readings."""

    policy: AlertPolicy
    states: dict[tuple[str, AlertRule], RuleState] = field(default_factory=dict)

    def restore(self, active: set[tuple[str, AlertRule]]) -> None:
        """The alerts stored as raised (at start, or after another replica evaluated)."""
        for key, state in self.states.items():
            if key not in active:
                state.active = False
        for key in active:
            self.states.setdefault(key, RuleState()).active = True

    def active(self) -> set[tuple[str, AlertRule]]:
        return {key for key, state in self.states.items() if state.active}

    def step(self, queue: str, rule: AlertRule, check: Check | None, now: datetime) -> Transition | None:
        """One reading of a rule (None: no reading, which counts as clear)."""
        state = self.states.setdefault((queue, rule), RuleState())
        breached = check is not None and check.breached
        clear = check is None or check.ratio < self.policy.resolve_ratio
        if not state.active:
            state.clear_since = None
            if not breached:
                state.breach_since = None
                return None
            state.breach_since = state.breach_since or now
            if (now - state.breach_since).total_seconds() >= self.policy.raise_after(rule):
                state.active, state.breach_since = True, None
                return "raise"
            return None
        if not clear:
            state.clear_since = None
            return None
        state.clear_since = state.clear_since or now
        if (now - state.clear_since).total_seconds() >= self.policy.resolve_after_seconds:
            state.active, state.clear_since = False, None
            return "resolve"
        return None

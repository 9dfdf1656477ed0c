"""The metrics service's typed settings (environment variables listed in docs/configuration.md)."""

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import SettingsConfigDict

from gradeflow_shared.settings import ServiceSettings
from metrics.domain.alerts import AlertPolicy
from metrics.domain.health import Thresholds
from metrics.usecases.monitor import MonitorConfig


class ThresholdsIn(BaseModel):
    """A queue's thresholds, each optional (defaults: docs/operations.md, "Health and alerts")."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    wait_ms: float | None = Field(default=None, gt=0)
    processing_ms: float | None = Field(default=None, gt=0)
    failure_rate: float | None = Field(default=None, gt=0, le=1)
    backlog: float | None = Field(default=None, ge=0)
    min_throughput_per_min: float | None = Field(default=None, gt=0)


class MetricsSettings(ServiceSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    http_port: int = Field(default=8003, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://gradeflow_metrics:metrics-dev@localhost:5432/gradeflow"
    prefetch: int = Field(default=100, ge=1, le=1000)
    # Window over which GET /v1/queues' flat figures aggregate, unless the request names another.
    stats_window_seconds: int = Field(default=3600, ge=1)
    # The broker's management API (ready and unacknowledged counts of every queue in one request);
    # unset: the AMQP host's port 15672 with the AMQP credentials. Unreachable: passive declares.
    rabbitmq_management_url: str | None = None
    # How often every queue is measured, sampled and its alerts evaluated.
    monitor_sample_seconds: float = Field(default=5.0, gt=0, le=300)
    # Thresholds by queue name ("*": every queue), e.g. {"grader.submissions": {"backlog": 500}}.
    alert_thresholds: dict[str, ThresholdsIn] = Field(default_factory=dict)
    # No flapping: a breach must last this long before its alert is raised (stalled: its own, since
    # a backlog that just arrived has had no time to be worked) ...
    alert_raise_after_seconds: float = Field(default=10.0, ge=0)
    alert_stalled_raise_after_seconds: float = Field(default=60.0, ge=0)
    # ... and the reading stay under RESOLVE_RATIO of the threshold this long before it resolves.
    alert_resolve_after_seconds: float = Field(default=30.0, ge=0)
    alert_resolve_ratio: float = Field(default=0.8, gt=0, le=1)
    # History: samples kept as taken this long, then one a minute until the retention; raw job
    # timings (the percentiles' source) kept this long (at least the longest window, 1 h).
    history_full_seconds: float = Field(default=3600.0, ge=60)
    history_retention_days: float = Field(default=7.0, gt=0)
    timings_retention_hours: float = Field(default=24.0, ge=1)
    # The performance report's target: consumers needed to drain a backlog within this long.
    drain_target_seconds: float = Field(default=300.0, gt=0)

    def thresholds_for(self, queue: str) -> Thresholds:
        base = Thresholds()
        for key in ("*", queue):
            if key in self.alert_thresholds:
                base = base.overridden(self.alert_thresholds[key].model_dump(exclude_none=True))
        return base

    def monitor(self) -> MonitorConfig:
        return MonitorConfig(
            sample_seconds=self.monitor_sample_seconds,
            retry_tiers=len(self.retry_delays_ms),
            policy=AlertPolicy(
                raise_after_seconds=self.alert_raise_after_seconds,
                stalled_raise_after_seconds=self.alert_stalled_raise_after_seconds,
                resolve_after_seconds=self.alert_resolve_after_seconds,
                resolve_ratio=self.alert_resolve_ratio,
            ),
            full_history_seconds=self.history_full_seconds,
            history_retention_seconds=self.history_retention_days * 86400,
            timings_retention_seconds=self.timings_retention_hours * 3600,
        )

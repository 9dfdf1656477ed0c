"""The metrics service's typed settings (environment variables listed in docs/configuration.md)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gradeflow_shared.settings import ServiceSettings


class MetricsSettings(ServiceSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    http_port: int = Field(default=8003, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://gradeflow_metrics:metrics-dev@localhost:5432/gradeflow"
    prefetch: int = Field(default=100, ge=1, le=1000)
    # Telemetry written in batches of up to PREFETCH messages, at most this long after the first.
    telemetry_batch_ms: int = Field(default=20, ge=1, le=1000)
    # Window over which GET /v1/queues aggregates timings, unless the request names another.
    stats_window_seconds: int = Field(default=3600, ge=1)

"""The notifier's typed settings (environment variables listed in docs/configuration.md)."""

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from gradeflow_shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    http_port: int = Field(default=8002, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://gradeflow_notifier:notifier-dev@localhost:5432/gradeflow"
    # Recipients per fan-out chunk: each chunk is one message and one bulk write of inbox rows;
    # smaller spreads an event over more replicas, larger costs fewer round trips.
    fanout_chunk_size: int = Field(default=1000, ge=1, le=10_000)
    # Email: the provider's SMTP endpoint (the development sink by default: `make run` starts it)
    # and its pace. EMAIL_PER_SECOND and EMAIL_CONNECTIONS are the provider's limits, never exceeded.
    email_enabled: bool = True
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_from: str = "gradeflow@localhost"
    smtp_start_tls: bool | None = None  # None: if the server offers it
    smtp_username: str | None = None
    smtp_password: str | None = None
    email_per_second: float = Field(default=1000.0, gt=0)
    # EMAIL_PER_SECOND is shared by every replica through Redis (adapters/email_rate.py), one
    # budget per database; empty: each replica paces itself alone.
    redis_url: str = "redis://127.0.0.1:6379/0"
    email_connections: int = Field(default=8, ge=1, le=100)
    email_batch: int = Field(default=500, ge=1, le=10_000)
    # How long a taken batch is a replica's: past it, another takes what was not recorded as sent
    # (a replica that died mid-batch). Longer than a batch takes at EMAIL_PER_SECOND.
    email_lease_seconds: float = Field(default=120.0, gt=0)
    # After a temporary refusal (4xx, a lost connection): wait this long before each next attempt;
    # past the last, the delivery is failed.
    email_retry_delays_seconds: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 1800.0)
    # Webhooks: hosts or networks (CIDR) that may be called though private (an in-cluster
    # receiver, a test's on 127.0.0.1); every other private, loopback or link-local target is refused.
    webhook_allow: tuple[str, ...] = ()
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_delays_seconds: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
    # Low-priority emails of a user who chose the digest are gathered over this window (aligned to
    # it: hourly by default) and sent as one mail when it closes.
    digest_window_seconds: float = Field(default=3600.0, ge=1)
    # Live inbox streams (SSE) one replica holds open; past it a new stream is refused with 503.
    max_live_streams: int = Field(default=10_000, ge=1)
    # How often an idle stream sends a comment, so proxies keep it open.
    live_ping_seconds: float = Field(default=15.0, gt=0)
    # Operators, to whom the metrics service's alerts go: these addresses by email, these URLs
    # by webhook (signed with ALERT_WEBHOOK_SECRET, a Standard Webhooks `whsec_` secret).
    alert_emails: tuple[str, ...] = ()
    alert_webhooks: tuple[str, ...] = ()
    alert_webhook_secret: str | None = Field(default=None, pattern=r"^whsec_[A-Za-z0-9+/=]{24,}$")

    @model_validator(mode="after")
    def _webhooks_signed(self) -> "NotifierSettings":
        if self.alert_webhooks and not self.alert_webhook_secret:
            raise ValueError(
                "ALERT_WEBHOOKS need ALERT_WEBHOOK_SECRET (whsec_…): receivers verify the signature"
            )
        return self

"""The gateway's typed settings (environment variables listed in docs/configuration.md)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gradeflow_shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    http_port: int = Field(default=8000, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://gradeflow_gateway:gateway-dev@localhost:5432/gradeflow"
    token_ttl_seconds: int = Field(default=12 * 3600, gt=0)
    # Group commit of concurrent submits (usecases/submissions.py): the most in one unit of work,
    # and how many such units may be writing at once (each holds a pool connection meanwhile).
    submit_batch_max: int = Field(default=256, ge=1)
    submit_batches_in_flight: int = Field(default=2, ge=1)
    # The notifier's HTTP API: a user's inbox, preferences and webhooks are served through this door.
    notifier_url: str = "http://127.0.0.1:8002"

"""The notifier's typed settings (environment variables listed in docs/configuration.md)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gradeflow_shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    http_port: int = Field(default=8002, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://gradeflow_notifier:notifier-dev@localhost:5432/gradeflow"
    # Recipients per fan-out chunk: each chunk is one message and one bulk write of inbox rows;
    # smaller spreads an event over more replicas, larger costs fewer round trips.
    fanout_chunk_size: int = Field(default=1000, ge=1, le=10_000)

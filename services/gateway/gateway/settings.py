"""The gateway's typed settings (environment variables listed in docs/configuration.md)."""

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from gradeflow_shared.settings import DEV_SECRET, ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    http_port: int = Field(default=8000, ge=1, le=65535)
    database_url: str = "postgresql+asyncpg://gradeflow_gateway:gateway-dev@localhost:5432/gradeflow"
    auth_secret: str = DEV_SECRET
    token_ttl_seconds: int = Field(default=12 * 3600, gt=0)

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> "GatewaySettings":
        if self.environment == "production" and self.auth_secret == DEV_SECRET:
            raise ValueError("AUTH_SECRET must be set to a real secret in production")
        return self

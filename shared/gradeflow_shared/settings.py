"""Typed settings shared by every service, read from the environment (names in docs/configuration.md)."""

from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from gradeflow_shared.auth import AUDIENCE, DEV_ISSUER, Tokens
from gradeflow_shared.topology import DEFAULT_RETRY_DELAYS_MS

DEV_SECRET = "development-only-secret-change-me-0123456789"
MIN_SECRET_LENGTH = 32  # the built-in issuer's key is derived from it: guessable if short
# The passwords of the services' default DATABASE_URLs: fine on a laptop, refused anywhere else.
DEV_PASSWORDS = frozenset(f"{service}-dev" for service in ("gateway", "grader", "notifier", "metrics"))


class ServiceSettings(BaseSettings):
    """What every service needs: where the broker and its database are, and how to serve HTTP.

    Each service subclasses this with its own defaults and groups; pydantic-settings fails fast on a
    bad value at start-up rather than at first use.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    # No default: a service started without ENVIRONMENT refuses to start, rather than fall into
    # development's public secret and dev login.
    environment: Literal["development", "test", "production"]
    amqp_url: str = "amqp://guest:guest@localhost:5672/"
    database_url: str = Field(default="", description="postgresql+asyncpg://ROLE:PASSWORD@HOST/DB")
    # The same role straight to PostgreSQL, for what a pooler in transaction mode cannot carry:
    # LISTEN (the live feeds) and migrations. Empty: DATABASE_URL is direct already.
    database_direct_url: str = ""
    # DATABASE_URL goes through PgBouncer (or another pooler) in transaction mode: no prepared
    # statements kept across transactions, no startup parameters (the role's own search_path,
    # which provisioning sets, names the schema).
    database_pooled: bool = False
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"
    # HTTP server processes on the port, each a whole service (its own pool, consumers, relay): as
    # many as the pod has cores to give the service.
    http_workers: int = Field(default=1, ge=1, le=64)
    # Addresses (or CIDRs) of the proxies whose X-Forwarded-For names the client (JSON list): a
    # request's address, for rate limits, is its peer's unless the peer is one of these.
    trusted_proxies: tuple[str, ...] = ()
    # Database connections per process (no overflow: a burst waits for one, briefly, or is refused
    # by the in-flight bound below). Many replicas: put PgBouncer in front (docs/benchmarks.md).
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # HTTP requests worked on at once per process; more are refused at once with 503 Retry-After.
    # 1,024: at a gateway process's ~1,000 submits/s, about a second of queue. 64, then 256 (a
    # quarter second), refused requests in the stalls of a process well within its capacity (0.25-
    # 0.7 s on a shared VM: docs/benchmarks.md); a process that cannot keep up still refuses at once.
    max_in_flight: int = Field(default=1024, ge=0, le=10_000)
    prefetch: int = Field(default=16, ge=1, le=1000)
    # A commit that staged events wakes its process's relay at once; the poll finds what another
    # replica left (it died between commit and publish), so it can be slow: it runs all day.
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    # Job reports wait this long to go out together (telemetry.py). A report is read by a monitor
    # that looks every 5 s; flushing every 50 ms sent one telemetry message per job at a few jobs a
    # second — as many messages as the work itself (docs/benchmarks.md, "Pipeline").
    telemetry_flush_seconds: float = Field(default=1.0, gt=0, le=60)
    graceful_timeout_seconds: float = Field(default=20.0, gt=0)
    # A handler running longer is cancelled and its message retried (5 minutes by default).
    handler_timeout_seconds: float = Field(default=300.0, gt=0)
    # JSON list, e.g. RETRY_DELAYS_MS='[1000, 10000, 60000, 300000]'; the same in every service.
    retry_delays_ms: tuple[int, ...] = Field(default=DEFAULT_RETRY_DELAYS_MS, min_length=1)
    # Bearer tokens. Without AUTH_JWKS_URL, the built-in development issuer: its ES256 key derived
    # from AUTH_SECRET (a real secret outside development) signs (the gateway's dev login) and
    # checks them. With it, an identity provider's: tokens checked against its JWKS, issuer
    # AUTH_ISSUER and audience AUTH_AUDIENCE, the Gradeflow user id in claim AUTH_USER_CLAIM.
    auth_secret: str = DEV_SECRET
    auth_jwks_url: str | None = None
    auth_issuer: str = DEV_ISSUER
    auth_audience: str = AUDIENCE
    auth_user_claim: str = "sub"
    # False for a service that checks no token (the grader): it is given no AUTH_SECRET at all.
    verifies_tokens: ClassVar[bool] = True

    @property
    def deployment(self) -> str:
        """This deployment's name (its database's): what keys its share of a server other
        deployments may use too (Redis's rate limits and email budget)."""
        return make_url(self.database_url).database or ""

    @property
    def direct_database_url(self) -> str:
        """Where a session of its own goes (LISTEN, migrations): the direct URL if there is one."""
        return self.database_direct_url or self.database_url

    def tokens(self, ttl_seconds: int = 12 * 3600) -> Tokens:
        return Tokens(
            self.auth_secret,
            ttl_seconds,
            issuer=self.auth_issuer,
            audience=self.auth_audience,
            jwks_url=self.auth_jwks_url,
            user_claim=self.auth_user_claim,
        )

    @model_validator(mode="after")
    def _no_development_secrets_elsewhere(self) -> "ServiceSettings":
        if not self.database_url:
            raise ValueError("DATABASE_URL must be set (postgresql+asyncpg://role:password@host/db)")
        if not self.verifies_tokens and self.auth_secret != DEV_SECRET:
            raise ValueError("AUTH_SECRET is not this service's: it checks no token, so it holds no secret")
        if self.environment == "development":
            return self
        if self.verifies_tokens and self.auth_jwks_url is None:
            if self.auth_secret == DEV_SECRET:
                raise ValueError(
                    f"AUTH_SECRET must be set to a secret of its own outside development ({self.environment})"
                )
            if len(self.auth_secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"AUTH_SECRET must be at least {MIN_SECRET_LENGTH} characters outside development"
                )
        if make_url(self.database_url).password in DEV_PASSWORDS:
            raise ValueError(
                f"DATABASE_URL carries a development password outside development ({self.environment})"
            )
        if self.environment == "production" and "guest:guest@" in self.amqp_url:
            raise ValueError("AMQP_URL must not use RabbitMQ's guest account in production")
        return self

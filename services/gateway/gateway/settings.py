"""The gateway's typed settings (environment variables listed in docs/configuration.md)."""

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from gateway.domain.limits import ROUTE_CLASSES, Rate
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
    # Rate limits, shared by every replica through Redis: route class (runs, submissions, writes,
    # reads) → REQUESTS/SECONDS per client (the token's user, else the address). Only the classes
    # named are limited; JSON, e.g. RATE_LIMITS='{"runs": "100/60", "submissions": "30/60"}'.
    redis_url: str = "redis://127.0.0.1:6379/0"
    rate_limits: dict[str, str] = Field(default_factory=lambda: {"runs": "100/60"})

    @property
    def rates(self) -> dict[str, Rate]:
        return {name: Rate.parse(text) for name, text in self.rate_limits.items()}

    @model_validator(mode="after")
    def _rates_are_rates(self) -> "GatewaySettings":
        unknown = set(self.rate_limits) - set(ROUTE_CLASSES)
        if unknown:
            raise ValueError(
                f"RATE_LIMITS names unknown route classes {sorted(unknown)}: use {ROUTE_CLASSES}"
            )
        self.rates  # noqa: B018 (each parsed once here: a bad rate fails at start-up)
        return self

    # Back-pressure: past this many submissions waiting for a grader (grader.submissions, as the
    # broker counts it), new ones are refused 503 with Retry-After; 0: no bound. Runs likewise.
    # 100,000: about an hour of grading at 25/s, and above the 30,000 of the load plan that runs
    # with grading paused (bench/gateway.py); set it to the wait you accept for your graders.
    max_grading_backlog: int = Field(default=100_000, ge=0)
    max_run_backlog: int = Field(default=1_000, ge=0)

    # Live submission results (SSE) one gateway process holds open; past it, 503.
    max_live_streams: int = Field(default=10_000, ge=1)
    live_ping_seconds: float = Field(default=15.0, gt=0)

    # Idempotency-Key: how long a key's answer is kept for retries, and how long a key whose request
    # never answered (its process died) stays locked before a retry may take it over.
    idempotency_ttl_seconds: float = Field(default=24 * 3600, gt=0)
    idempotency_lock_seconds: float = Field(default=60, gt=0)

    # Jobe's API (docs/jobe.md): how long POST runs waits for its result before answering Jobe's
    # outcome 21 (server overload); how long and how large a file PUT files/{id} is kept.
    jobe_wait_seconds: float = Field(default=30.0, gt=0, le=300)
    jobe_file_ttl_seconds: float = Field(default=7 * 24 * 3600, gt=0)
    jobe_max_file_bytes: int = Field(default=8 * 1024 * 1024, ge=1)
    # A request's body must have arrived whole within this (408 after): a slow body holds a
    # connection, never a worker's slot.
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    # Judge0 callbacks (callback_url): tries in all (backoff 1, 2, 4 … s between), the timeout of
    # each PUT, and targets allowed although private (hosts or networks, JSON list; e.g. a test's
    # receiver on 127.0.0.1): any other private, loopback or link-local target is refused.
    callback_max_tries: int = Field(default=5, ge=1, le=20)
    callback_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    callback_allow: tuple[str, ...] = ()

    # The gateway's public base URL (https://grades.example.edu), as browsers and LMSs reach it:
    # the LTI URLs are made from it. Unset: from each request's own address.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    # Where an LTI launch lands: the school's front end, given `#token=…&course_id=…` (the
    # fragment, which no server sees). Unset: a small page of the gateway's own.
    lti_landing_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")

    # POST /v1/auth/dev-login (a token for any email): unset, on in development and test and off in
    # production, where it may not be turned on.
    dev_login: bool | None = None
    # Emails whose development login carries the admin role (the operations APIs); JSON list.
    admin_emails: tuple[str, ...] = ()

    @property
    def dev_login_served(self) -> bool:
        return self.dev_login if self.dev_login is not None else self.environment != "production"

    @model_validator(mode="after")
    def _no_dev_login_in_production(self) -> "GatewaySettings":
        if self.environment == "production" and self.dev_login:
            raise ValueError("DEV_LOGIN cannot be on in production: anyone could log in as anyone")
        return self

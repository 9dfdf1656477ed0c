"""Settings fail fast and closed: no ENVIRONMENT, no start; outside development, the development
auth secret, a short one and the development database passwords are refused; in production,
RabbitMQ's guest account too; a service that checks no token (the grader) holds no secret."""

import pytest
from pydantic import ValidationError

from gradeflow_shared.settings import DEV_SECRET, ServiceSettings
from grader.settings import GraderSettings

DEV_DB = "postgresql+asyncpg://gradeflow_gateway:gateway-dev@localhost:5432/gradeflow"
REAL_DB = "postgresql+asyncpg://gradeflow_gateway:Xq81-long-random@db:5432/gradeflow"


def test_development_runs_on_the_development_defaults() -> None:
    settings = ServiceSettings(environment="development", database_url=DEV_DB)
    assert settings.environment == "development" and settings.auth_secret == DEV_SECRET


def test_without_an_environment_nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    with pytest.raises(ValidationError, match="environment"):
        ServiceSettings(database_url=DEV_DB)


def test_a_short_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        ServiceSettings(environment="test", database_url=REAL_DB, auth_secret="short-secret")
    assert ServiceSettings(environment="test", database_url=REAL_DB, auth_secret="s" * 32).auth_secret


def test_the_grader_holds_no_token_secret() -> None:
    GraderSettings(environment="production", database_url=REAL_DB, amqp_url="amqp://g:pw@mq:5672/")
    with pytest.raises(ValidationError, match="holds no secret"):
        GraderSettings(environment="test", database_url=REAL_DB, auth_secret="s" * 32)


@pytest.mark.parametrize("environment", ["test", "production"])
def test_the_development_secret_and_passwords_are_refused_elsewhere(environment: str) -> None:
    with pytest.raises(ValidationError, match="AUTH_SECRET"):
        ServiceSettings(environment=environment, database_url=REAL_DB)
    with pytest.raises(ValidationError, match="development password"):
        ServiceSettings(
            environment=environment, database_url=DEV_DB, auth_secret="s3cret-of-its-own-0123456789abcdef"
        )
    ok = ServiceSettings(
        environment=environment,
        database_url=REAL_DB,
        auth_secret="s3cret-of-its-own-0123456789abcdef",
        amqp_url="amqp://gradeflow:pw@mq:5672/",
    )
    assert ok.environment == environment


def test_production_refuses_the_guest_broker_account() -> None:
    with pytest.raises(ValidationError, match="guest"):
        ServiceSettings(
            environment="production", database_url=REAL_DB, auth_secret="s3cret-of-its-own-0123456789abcdef"
        )
    assert ServiceSettings(
        environment="test", database_url=REAL_DB, auth_secret="x" * 32
    ).amqp_url.startswith("amqp://guest")


def test_a_missing_database_url_fails_at_start_up() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        ServiceSettings(environment="development", database_url="")

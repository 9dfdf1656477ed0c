"""Settings fail fast: outside development, the development auth secret and database passwords
are refused; in production, RabbitMQ's guest account too."""

import pytest
from pydantic import ValidationError

from gradeflow_shared.settings import DEV_SECRET, ServiceSettings

DEV_DB = "postgresql+asyncpg://gradeflow_gateway:gateway-dev@localhost:5432/gradeflow"
REAL_DB = "postgresql+asyncpg://gradeflow_gateway:Xq81-long-random@db:5432/gradeflow"


def test_development_runs_on_the_development_defaults() -> None:
    settings = ServiceSettings(database_url=DEV_DB)
    assert settings.environment == "development" and settings.auth_secret == DEV_SECRET


@pytest.mark.parametrize("environment", ["test", "production"])
def test_the_development_secret_and_passwords_are_refused_elsewhere(environment: str) -> None:
    with pytest.raises(ValidationError, match="AUTH_SECRET"):
        ServiceSettings(environment=environment, database_url=REAL_DB)
    with pytest.raises(ValidationError, match="development password"):
        ServiceSettings(environment=environment, database_url=DEV_DB, auth_secret="s3cret-of-its-own")
    ok = ServiceSettings(
        environment=environment,
        database_url=REAL_DB,
        auth_secret="s3cret-of-its-own",
        amqp_url="amqp://gradeflow:pw@mq:5672/",
    )
    assert ok.environment == environment


def test_production_refuses_the_guest_broker_account() -> None:
    with pytest.raises(ValidationError, match="guest"):
        ServiceSettings(environment="production", database_url=REAL_DB, auth_secret="s3cret-of-its-own")
    assert ServiceSettings(
        environment="test", database_url=REAL_DB, auth_secret="x" * 32
    ).amqp_url.startswith("amqp://guest")


def test_a_missing_database_url_fails_at_start_up() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        ServiceSettings(database_url="")

"""Development login exists only where it may: in production the route is not served at all (404,
and absent from the OpenAPI document), and turning it on there is refused at start-up."""

import uuid

import httpx
import pytest
from pydantic import ValidationError

from gateway.app import create_app
from gateway.settings import GatewaySettings
from gradeflow_shared.auth import Tokens
from tests.gateway.unit.fakes import fake_units
from tests.support.fakes import RecordingPublisher

SECRET = "unit-test-secret-0123456789abcdef"
URL = "postgresql+asyncpg://gateway:a-real-password@127.0.0.1:1/none"


def _settings(environment: str, **extra: object) -> GatewaySettings:
    return GatewaySettings(
        database_url=URL,
        environment=environment,
        auth_secret=SECRET,
        amqp_url="amqp://u:p@127.0.0.1/",
        **extra,
    )


@pytest.mark.parametrize(
    ("environment", "served"), [("production", False), ("test", True), ("development", True)]
)
async def test_dev_login_is_served_outside_production_only(environment: str, served: bool) -> None:
    app = create_app(_settings(environment), units=fake_units(), publisher=RecordingPublisher())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.post("/v1/auth/dev-login", json={"email": "teacher@example.com", "name": "T"})
        assert (r.status_code == 200) is served and (r.status_code == 404) is (not served)
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert ("/v1/auth/dev-login" in paths) is served


def test_dev_login_cannot_be_turned_on_in_production() -> None:
    with pytest.raises(ValidationError, match="DEV_LOGIN"):
        _settings("production", dev_login=True)
    assert _settings("test", dev_login=False).dev_login_served is False


async def test_a_dev_login_listed_in_admin_emails_carries_the_admin_role() -> None:
    settings = _settings("test", admin_emails=("Ops@Example.com",))
    app = create_app(settings, units=fake_units(), publisher=RecordingPublisher())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    tokens = Tokens(SECRET)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for email, admin in (("ops@example.com", True), ("teacher@example.com", False)):
            r = await client.post("/v1/auth/dev-login", json={"email": email, "name": "X"})
            assert tokens.caller(r.json()["token"]).admin is admin


async def test_a_token_signed_by_an_unknown_key_or_for_another_audience_is_401() -> None:
    app = create_app(_settings("production"), units=fake_units(), publisher=RecordingPublisher())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    user = uuid.uuid4()
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        good = Tokens(SECRET).issue(user)
        for token in (
            Tokens("another-secret-0123456789abcdef").issue(user),
            Tokens(SECRET, audience="other").issue(user),
        ):
            r = await client.get("/v1/courses", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401 and r.json()["fields"][0]["field"] == "Authorization"
        assert (
            await client.get("/v1/courses", headers={"Authorization": f"Bearer {good}"})
        ).status_code == 200
        [key] = (await client.get("/.well-known/jwks.json")).json()["keys"]
        assert key["kty"] == "EC" and key["alg"] == "ES256" and "d" not in key, "the public key only"

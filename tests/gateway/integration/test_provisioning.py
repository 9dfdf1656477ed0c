"""Users known only to an identity provider, through the HTTP API and PostgreSQL: the gateway
checks the provider's tokens against its JWKS (a real HTTP server on 127.0.0.1) and provisions a
user at their first request — bound to the user a roster made for the same email when the provider
verified it, else a new user from the token's email and name; never to someone else's email
unverified; a subject that is no UUID named by issuer and subject."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.support.api import SUM_TESTS, bearer, login
from tests.support.apps import serving
from tests.support.idp import ISSUER, Provider, serving_provider
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


@pytest.fixture
def provider() -> Iterator[Provider]:
    with serving_provider() as served:
        served.add_key("k1")
        yield served


@pytest.fixture
async def door(infra: Infra, provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway taking the provider's tokens (and dev logins, to make a teacher and a roster)."""
    settings = GatewaySettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("gateway"),
        environment="test",
        auth_secret=infra.secret,
        auth_jwks_url=provider.url,
        auth_issuer=ISSUER,
    )
    async with serving(create_app(settings)) as client:
        probe = _idp(provider, "probe")  # no email: 403 once the keys are in, 401 before
        for _ in range(200):  # the JWKS fetched in the background at start, then its keys taken
            if (await client.get("/v1/users/me", headers=probe)).status_code == 403:
                break
            await asyncio.sleep(0.05)
        yield client


def _idp(provider: Provider, subject: str, **claims: object) -> dict[str, str]:
    return bearer(provider.token("k1", subject, **claims))


async def test_a_providers_user_is_provisioned_at_first_sight_and_bound_once(
    door: httpx.AsyncClient, provider: Provider, infra: Infra
) -> None:
    subject = str(uuid.uuid4())
    email = f"new-{uuid.uuid4().hex[:8]}@school.example"
    auth = _idp(provider, subject, email=email, name="Nia New", email_verified=True)
    first = await door.get("/v1/users/me", headers=auth)
    assert first.status_code == 200, first.text
    assert (first.json()["email"], first.json()["name"]) == (email, "Nia New")
    again = await door.get("/v1/users/me", headers=_idp(provider, subject, email=email, email_verified=True))
    assert again.json()["id"] == first.json()["id"], "the same user on every token of the identity"
    created = await door.post("/v1/courses", json={"title": "Nia's course"}, headers=auth)
    assert created.status_code == 201 and created.json()["created_by"] == first.json()["id"]
    conn = await asyncpg.connect(infra.admin_url)
    try:
        bound = await conn.fetch(
            "SELECT user_id FROM gateway.identities WHERE issuer = $1 AND subject = $2", ISSUER, subject
        )
    finally:
        await conn.close()
    assert [str(r["user_id"]) for r in bound] == [first.json()["id"]]

    not_a_uuid = _idp(
        provider, "auth0|5f8d0c", email=f"a0-{uuid.uuid4().hex[:6]}@school.example", email_verified=True
    )
    assert (await door.get("/v1/users/me", headers=not_a_uuid)).status_code == 200


async def test_a_roster_member_signing_in_through_the_provider_is_that_member(
    door: httpx.AsyncClient, provider: Provider
) -> None:
    _, teacher = await login(door, "teacher")
    course = (await door.post("/v1/courses", json={"title": "Roster"}, headers=teacher)).json()["id"]
    assignment = (
        await door.post(
            f"/v1/courses/{course}/assignments", json={"title": "Sum", "tests": SUM_TESTS}, headers=teacher
        )
    ).json()["id"]
    email = f"ada-{uuid.uuid4().hex[:8]}@school.example"
    imported = await door.post(
        f"/v1/courses/{course}/roster",
        content=f"name,email,role,child_email\nAda,{email},student,\n",
        headers={**teacher, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    members = (await door.get(f"/v1/courses/{course}/enrollments", headers=teacher)).json()["items"]
    ada_id = next(m["user_id"] for m in members if m["email"] == email)

    # Claimed at the provider but not verified there: never the roster's Ada.
    unverified = _idp(provider, str(uuid.uuid4()), email=email, email_verified=False)
    refused = await door.get("/v1/users/me", headers=unverified)
    assert refused.status_code == 403 and "verified" in refused.json()["message"]
    assert (await door.get("/v1/users/me", headers=_idp(provider, str(uuid.uuid4())))).status_code == 403, (
        "no email"
    )

    # Nor is an unverified email that nobody here has yet made into a user (it would take the
    # email from whoever a roster later names by it).
    fresh = f"fresh-{uuid.uuid4().hex[:6]}@school.example"
    refused = await door.get("/v1/users/me", headers=_idp(provider, str(uuid.uuid4()), email=fresh))
    assert refused.status_code == 403 and "verified" in refused.json()["message"]

    ada = _idp(provider, str(uuid.uuid4()), email=email.upper(), email_verified=True)
    me = await door.get("/v1/users/me", headers=ada)
    assert me.status_code == 200 and me.json()["id"] == ada_id, "bound to the member the roster made"
    body = {"assignment_id": assignment, "language": "python", "source": "print(1)"}
    submitted = await door.post("/v1/submissions", json=body, headers=ada)
    assert submitted.status_code == 202, "enrolled by the roster, submitting with the provider's token"

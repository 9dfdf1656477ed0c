"""Tokens from an identity provider: checked against its JWKS, served by a real HTTP server on
127.0.0.1 — accepted when signed by a published key for our issuer and audience; a token signed by
a key not yet published is refused, and accepted once the provider publishes it (key rotation:
the unknown key id asks for a fresh JWKS)."""

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from gradeflow_shared.auth import _SUBJECTS as SUBJECTS
from gradeflow_shared.auth import Tokens
from gradeflow_shared.errors import Unauthenticated
from tests.support.idp import AUDIENCE, ISSUER, Provider, serving_provider

pytestmark = pytest.mark.integration


@pytest.fixture
def provider() -> Iterator[Provider]:
    with serving_provider() as served:
        yield served


async def test_a_providers_tokens_are_checked_against_its_jwks_and_rotation_is_followed(
    provider: Provider,
) -> None:
    provider.add_key("k1")
    tokens = Tokens("unused-secret-0123456789abcdef", issuer=ISSUER, audience=AUDIENCE, jwks_url=provider.url)
    tokens.REFRESH_MIN_SECONDS = 0.2
    passed_on = tokens.issue(uuid.uuid4(), ttl_seconds=60)  # the gateway's, for the services behind it
    assert tokens.caller(passed_on).built_in
    running = asyncio.create_task(tokens.run())
    try:
        user = uuid.uuid4()
        for _ in range(100):  # the first fetch counted, then its keys taken: wait for both
            if provider.fetches:
                try:
                    tokens.caller(provider.token("k1", user))
                    break
                except Unauthenticated:
                    pass
            await asyncio.sleep(0.05)
        caller = tokens.caller(provider.token("k1", user))
        assert caller.user_id == user and caller.issuer == ISSUER and not caller.built_in
        not_a_uuid = tokens.caller(provider.token("k1", "auth0|5f8d"))  # named by issuer and subject
        assert (
            not_a_uuid.user_id == uuid.uuid5(SUBJECTS, f"{ISSUER}\0auth0|5f8d")
            and not_a_uuid.subject == "auth0|5f8d"
        )
        with pytest.raises(Unauthenticated):
            tokens.verify(provider.token("k1", user, audience="another-api"))
        provider.add_key("k2")  # rotated in at the provider: not known here yet
        rotated = provider.token("k2", user)
        with pytest.raises(Unauthenticated, match="not known"):
            tokens.verify(rotated)
        for _ in range(100):  # the unknown key id asked for a fresh JWKS
            await asyncio.sleep(0.05)
            try:
                assert tokens.verify(rotated) == user
                break
            except Unauthenticated:
                continue
        else:
            raise AssertionError("the rotated key was never fetched")
        stranger = Provider()
        stranger.add_key("k1")  # the same key id, another key: the signature fails
        with pytest.raises(Unauthenticated):
            tokens.verify(stranger.token("k1", user))
    finally:
        tokens.stop()
        await running

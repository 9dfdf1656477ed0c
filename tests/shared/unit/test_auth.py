"""Bearer tokens: a valid one names its user, and keeps doing so from the verified-token cache
only until it expires; a forged, tampered, expiry-less or expired one is refused."""

import time
import uuid

import jwt
import pytest

from gradeflow_shared.auth import Tokens, _dev_key
from gradeflow_shared.errors import Unauthenticated


def test_a_valid_token_names_its_user_every_time() -> None:
    tokens, user = Tokens("s" * 32), uuid.uuid4()
    token = tokens.issue(user)
    assert tokens.verify(token) == user
    assert tokens.verify(token) == user, "again, from the cache"


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    tokens, user = Tokens("s" * 32, ttl_seconds=1), uuid.uuid4()
    token = tokens.issue(user)
    assert tokens.verify(token) == user
    time.sleep(1.1)
    with pytest.raises(Unauthenticated):
        tokens.verify(token)


@pytest.mark.parametrize("kind", ["other secret", "tampered", "no expiry", "empty"])
def test_a_bad_token_is_refused_naming_the_header(kind: str) -> None:
    tokens, user = Tokens("s" * 32), uuid.uuid4()
    good = tokens.issue(user)
    bad = {
        "other secret": Tokens("t" * 32).issue(user),
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "no expiry": jwt.encode({"sub": str(user)}, "s" * 32, algorithm="HS256"),
        "empty": "",
    }[kind]
    with pytest.raises(Unauthenticated) as refused:
        tokens.verify(bad)
    assert refused.value.field == "Authorization"


def test_a_token_for_another_audience_or_issuer_or_signed_symmetrically_is_refused() -> None:
    tokens, user = Tokens("s" * 32), uuid.uuid4()
    kid = jwt.get_unverified_header(tokens.issue(user))["kid"]
    claims = {"sub": str(user), "exp": time.time() + 60, "iss": tokens.issuer, "aud": tokens.audience}
    refused = [
        Tokens("s" * 32, audience="another-api").issue(user),
        # The right key, another issuer named in it.
        jwt.encode(
            {**claims, "iss": "someone-else"}, _dev_key("s" * 32), algorithm="ES256", headers={"kid": kid}
        ),
        # The secret as an HMAC key, under the development key's id: the old HS256 tokens, or an
        # attacker who knows the secret's use — never accepted.
        jwt.encode(claims, "s" * 32, algorithm="HS256", headers={"kid": kid}),
    ]
    for token in refused:
        with pytest.raises(Unauthenticated):
            tokens.verify(token)


def test_the_jwks_document_verifies_the_development_issuers_tokens() -> None:
    tokens, user = Tokens("s" * 32), uuid.uuid4()
    token = tokens.issue(user, admin=True)
    [key] = jwt.PyJWKSet.from_dict(tokens.jwks()).keys
    claims = jwt.decode(token, key.key, algorithms=["ES256"], audience=tokens.audience, issuer=tokens.issuer)
    assert claims["sub"] == str(user) and claims["roles"] == ["admin"]
    assert Tokens("s" * 32).jwks() == tokens.jwks(), "the same key in every service that knows the secret"
    assert Tokens("t" * 32).jwks() != tokens.jwks()

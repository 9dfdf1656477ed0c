"""Bearer tokens: a valid one names its user, and keeps doing so from the verified-token cache
only until it expires; a forged, tampered, expiry-less or expired one is refused."""

import time
import uuid

import jwt
import pytest

from gradeflow_shared.auth import Tokens, Unauthenticated


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

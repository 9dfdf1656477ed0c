"""An identity provider for tests: RSA keys published as a JWKS by a real HTTP server on
127.0.0.1, and tokens signed with them for any claims."""

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.json_server import serving_json

ISSUER, AUDIENCE = "https://idp.example.test", "gradeflow"


class Provider:
    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.fetches = 0
        self.url = ""

    def add_key(self, kid: str) -> Any:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self.keys[kid]

    def jwks(self) -> dict[str, Any]:
        rsa_alg = jwt.algorithms.RSAAlgorithm
        return {
            "keys": [
                {**json.loads(rsa_alg.to_jwk(k.public_key())), "kid": kid} for kid, k in self.keys.items()
            ]
        }

    def token(self, kid: str, user: uuid.UUID | str, audience: str = AUDIENCE, **claims: Any) -> str:
        claims = {"sub": str(user), "iss": ISSUER, "aud": audience, "exp": time.time() + 300, **claims}
        return jwt.encode(claims, self.keys[kid], algorithm="RS256", headers={"kid": kid})


@contextmanager
def serving_provider() -> Iterator[Provider]:
    state = Provider()

    def fetched() -> None:
        state.fetches += 1

    with serving_json(state.jwks, fetched) as url:
        state.url = f"{url}/jwks.json"
        yield state

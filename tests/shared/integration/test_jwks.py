"""Tokens from an identity provider: checked against its JWKS, served by a real HTTP server on
127.0.0.1 — accepted when signed by a published key for our issuer and audience; a token signed by
a key not yet published is refused, and accepted once the provider publishes it (key rotation:
the unknown key id asks for a fresh JWKS)."""

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gradeflow_shared.auth import Tokens, Unauthenticated

pytestmark = pytest.mark.integration
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

    def token(self, kid: str, user: uuid.UUID, audience: str = AUDIENCE) -> str:
        claims = {"sub": str(user), "iss": ISSUER, "aud": audience, "exp": time.time() + 300}
        return jwt.encode(claims, self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def provider() -> Iterator[Provider]:
    state = Provider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server calls it so
            state.fetches += 1
            body = json.dumps(state.jwks()).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


async def test_a_providers_tokens_are_checked_against_its_jwks_and_rotation_is_followed(
    provider: Provider,
) -> None:
    provider.add_key("k1")
    tokens = Tokens("unused-secret-0123456789abcdef", issuer=ISSUER, audience=AUDIENCE, jwks_url=provider.url)
    tokens.REFRESH_MIN_SECONDS = 0.2
    with pytest.raises(RuntimeError):
        tokens.issue(uuid.uuid4())  # no development issuer here
    running = asyncio.create_task(tokens.run())
    try:
        user = uuid.uuid4()
        for _ in range(50):
            if provider.fetches:
                break
            await asyncio.sleep(0.05)
        assert tokens.verify(provider.token("k1", user)) == user
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

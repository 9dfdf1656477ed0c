"""An identity provider for tests: RSA keys published as a JWKS by a real HTTP server on
127.0.0.1, and tokens signed with them for any claims."""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

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

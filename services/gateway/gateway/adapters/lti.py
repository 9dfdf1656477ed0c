"""LTI 1.3's outside: each platform's signing keys, fetched from the key set URL it registered
(its JWKS) at the first launch and again when a launch names a key not seen yet — the platform
rotated its keys — at most every REFRESH_MIN_SECONDS; and the login's state, a short-lived token
signed with a key derived from AUTH_SECRET, so that any replica can check the launch that follows."""

import asyncio
import hashlib
import json
import logging
import time
from typing import Any

import httpx
import jwt

from gateway.domain.lti import LaunchRefused
from gradeflow_shared.errors import Unavailable

log = logging.getLogger(__name__)


class PlatformKeys:
    REFRESH_SECONDS = 600.0  # a key set kept this long, then fetched again at the next launch
    REFRESH_MIN_SECONDS = 5.0  # a launch naming an unknown key fetches again, at most this often
    MAX_BYTES = 256 * 1024  # a key set larger is not read
    TIMEOUT_SECONDS = 5.0

    def __init__(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.TIMEOUT_SECONDS, follow_redirects=False)
        self._sets: dict[str, tuple[dict[str, Any], float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def key(self, url: str, kid: str) -> Any | None:
        """The public key `kid` of the key set at `url`, or None if the platform does not publish it."""
        keys, fetched = self._sets.get(url, ({}, -1e9))
        age = time.monotonic() - fetched
        if (kid not in keys and age > self.REFRESH_MIN_SECONDS) or age > self.REFRESH_SECONDS:
            async with self._locks.setdefault(url, asyncio.Lock()):
                keys, fetched = self._sets.get(url, ({}, -1e9))
                if time.monotonic() - fetched > self.REFRESH_MIN_SECONDS:  # not fetched while waiting
                    keys = await self._fetch(url)
                    self._sets[url] = (keys, time.monotonic())
        return keys.get(kid)

    async def _fetch(self, url: str) -> dict[str, Any]:
        try:
            async with self._client.stream("GET", url) as response:
                response.raise_for_status()
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self.MAX_BYTES:
                        raise ValueError(f"over {self.MAX_BYTES} bytes")
            document = json.loads(body)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("the LTI platform's key set at %s could not be read: %s", url, exc)
            raise Unavailable(f"the platform's key set could not be read ({exc})") from exc
        keys = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            try:
                parsed = jwt.PyJWK(jwk)
            except (jwt.PyJWTError, TypeError, ValueError):
                continue  # a key of a type or use this tool does not read: the others still count
            if parsed.key_id:
                keys[parsed.key_id] = parsed.key
        return keys

    async def close(self) -> None:
        await self._client.aclose()


class LoginStates:
    """The state an OIDC login sends through the platform and the launch brings back: which
    platform, which nonce, which target — valid for TTL_SECONDS, signed (HS256) by the gateway."""

    TTL_SECONDS = 600
    _AUDIENCE = "gradeflow-lti-login"

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"gradeflow lti login state\0" + secret.encode()).digest()

    def issue(self, claims: dict[str, str]) -> str:
        expires = int(time.time()) + self.TTL_SECONDS
        return jwt.encode({**claims, "aud": self._AUDIENCE, "exp": expires}, self._key, algorithm="HS256")

    def read(self, state: str) -> dict[str, str]:
        try:
            claims: dict[str, str] = jwt.decode(
                state, self._key, algorithms=["HS256"], audience=self._AUDIENCE
            )
        except jwt.ExpiredSignatureError as exc:
            raise LaunchRefused("the login is older than 10 minutes: launch again", "state") from exc
        except jwt.PyJWTError as exc:
            raise LaunchRefused("the state is not one Gradeflow's login gave", "state") from exc
        return claims

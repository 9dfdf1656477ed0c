"""LTI 1.3's outside: each platform's signing keys, fetched from the key set URL it registered
(its JWKS) at the first launch and again when a launch names a key not seen yet — the platform
rotated its keys — at most every REFRESH_MIN_SECONDS; the login's state, a short-lived token
signed with a key derived from AUTH_SECRET, so that any replica can check the launch that follows;
the tool's own RSA keys, sealed for the database; and the platform's services (Names and Role
Provisioning, Assignment and Grade Services) called with an access token of its token endpoint."""

import asyncio
import hashlib
import json
import logging
import os
import time
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.domain.errors import GatewayError
from gateway.domain.lti import LaunchRefused
from gateway.domain.records import JsonObject, LtiPlatformRecord
from gradeflow_shared.errors import PermanentError, Unavailable

log = logging.getLogger(__name__)


async def _get_json(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], limit: int
) -> tuple[Any, dict[str, Any]]:
    """A JSON document and the answer's links, not read past `limit` bytes (ValueError)."""
    async with client.stream("GET", url, headers=headers) as response:
        response.raise_for_status()
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > limit:
                raise ValueError(f"over {limit} bytes")
        return json.loads(body), {str(k): v for k, v in response.links.items()}


class PlatformKeys:
    REFRESH_SECONDS = 600.0  # a key set kept this long, then fetched again at the next launch
    REFRESH_MIN_SECONDS = 5.0  # a launch naming an unknown key fetches again, at most this often
    MAX_BYTES = 256 * 1024  # a key set larger is not read
    TIMEOUT_SECONDS = 5.0

    def __init__(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.TIMEOUT_SECONDS, follow_redirects=False)
        self._sets: dict[str, tuple[dict[str, rsa.RSAPublicKey], float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def key(self, url: str, kid: str) -> rsa.RSAPublicKey | None:
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

    async def _fetch(self, url: str) -> dict[str, rsa.RSAPublicKey]:
        try:
            document, _ = await _get_json(self._client, url, {}, self.MAX_BYTES)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("the LTI platform's key set at %s could not be read: %s", url, exc)
            raise Unavailable(f"the platform's key set could not be read ({exc})") from exc
        keys = {}
        for jwk in document.get("keys", []) if isinstance(document, dict) else []:
            try:
                parsed = jwt.PyJWK(jwk)
            except (jwt.PyJWTError, TypeError, ValueError):
                continue  # a key of a type or use this tool does not read: the others still count
            if parsed.key_id and isinstance(parsed.key, rsa.RSAPublicKey):  # RS256 is all a launch may use
                keys[parsed.key_id] = parsed.key
        return keys

    async def close(self) -> None:
        await self._client.aclose()


class LoginStates:
    """What the tool sends through the browser and takes back — the login's state (which
    platform, nonce and target), a deep-linking choice (which platform, course and return URL) —
    valid for TTL_SECONDS, signed (HS256) with a key derived from AUTH_SECRET; `field` names it in
    a refusal."""

    TTL_SECONDS = 600

    def __init__(self, secret: str, field: str = "state") -> None:
        self._key = hashlib.sha256(f"gradeflow lti {field}\0".encode() + secret.encode()).digest()
        self._field = field
        self._audience = f"gradeflow-lti-{field}"

    def issue(self, claims: dict[str, str]) -> str:
        expires = int(time.time()) + self.TTL_SECONDS
        return jwt.encode({**claims, "aud": self._audience, "exp": expires}, self._key, algorithm="HS256")

    def read(self, state: str) -> dict[str, str]:
        try:
            claims: dict[str, str] = jwt.decode(
                state, self._key, algorithms=["HS256"], audience=self._audience
            )
        except jwt.ExpiredSignatureError as exc:
            raise LaunchRefused(
                f"the {self._field} is older than 10 minutes: launch again", self._field
            ) from exc
        except jwt.PyJWTError as exc:
            raise LaunchRefused(f"the {self._field} is not one Gradeflow gave", self._field) from exc
        return claims


class KeySealer:
    """The tool's RSA keys made and sealed for the database (AES-GCM, under a key derived from
    AUTH_SECRET: a copy of the table alone signs nothing), and opened again."""

    KEY_BITS = 2048

    def __init__(self, secret: str) -> None:
        self._aead = AESGCM(hashlib.sha256(b"gradeflow lti tool keys\0" + secret.encode()).digest())

    def new(self) -> tuple[str, bytes]:
        """A new key: its kid and its sealed form."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=self.KEY_BITS)
        der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        kid = "lti-" + hashlib.sha256(public).hexdigest()[:32]
        nonce = os.urandom(12)
        return kid, nonce + self._aead.encrypt(nonce, der, kid.encode())

    def open(self, kid: str, sealed: bytes) -> rsa.RSAPrivateKey:
        der = self._aead.decrypt(sealed[:12], sealed[12:], kid.encode())
        key = serialization.load_der_private_key(der, password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key

    @staticmethod
    def public_jwk(kid: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


NAMES_ROLES_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


class HttpPlatformServices:
    """A platform's LTI Advantage services over HTTP: an access token from its token endpoint
    (OAuth 2 client credentials with the tool's signed assertion, kept until a minute before it
    expires), then the service itself — every page a `Link: rel="next"` names, each bounded."""

    TIMEOUT_SECONDS = 10.0
    MAX_PAGES = 500
    MAX_PAGE_BYTES = 8 * 1024 * 1024
    MAX_MEMBERS = 100_000  # a roster's bound, as for CSV

    def __init__(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.TIMEOUT_SECONDS, follow_redirects=False)
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}

    async def memberships(self, platform: LtiPlatformRecord, url: str, assertion: str) -> list[JsonObject]:
        members: list[JsonObject] = []
        page_url: str | None = url
        for _ in range(self.MAX_PAGES):
            if page_url is None:
                return members
            token = await self._token(platform, NAMES_ROLES_SCOPE, assertion)
            headers = {"Authorization": f"Bearer {token}", "Accept": MEMBERSHIPS_TYPE}
            document, links = await self._get(page_url, headers)
            page = document.get("members", []) if isinstance(document, dict) else []
            members += [m for m in page if isinstance(m, dict)]
            if len(members) > self.MAX_MEMBERS:
                raise GatewayError(
                    f"the platform's roster is over {self.MAX_MEMBERS} members", field="course_id"
                )
            page_url = links.get("next", {}).get("url")
        raise Unavailable(f"the platform's roster is over {self.MAX_PAGES} pages")

    async def post_score(
        self, platform: LtiPlatformRecord, lineitem_url: str, score: JsonObject, assertion: str
    ) -> None:
        token = await self._token(platform, SCORE_SCOPE, assertion)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": SCORE_TYPE}
        try:
            answer = await self._client.post(scores_url(lineitem_url), json=dict(score), headers=headers)
        except httpx.HTTPError as exc:
            raise Unavailable(f"the platform took no score ({exc})") from exc
        if answer.status_code == 401:  # the token expired early, or was revoked: a new one next time
            self._tokens.pop((str(platform.id), SCORE_SCOPE), None)
        if answer.status_code in (401, 408, 429) or answer.status_code >= 500:
            raise Unavailable(f"the platform answered {answer.status_code} to a score")
        if answer.status_code == 409:
            return  # the platform holds a later score already: nothing to replace
        if answer.status_code >= 400:
            raise PermanentError(f"the platform refused the score: {answer.status_code} {answer.text[:200]}")

    async def _token(self, platform: LtiPlatformRecord, scope: str, assertion: str) -> str:
        key = (str(platform.id), scope)
        kept = self._tokens.get(key)
        if kept is not None and kept[1] > time.monotonic():
            return kept[0]
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
            "scope": scope,
        }
        try:
            answer = await self._client.post(platform.auth_token_url, data=form)
            answer.raise_for_status()
            body = answer.json()
            token, lasts = str(body["access_token"]), float(body.get("expires_in", 3600))
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise Unavailable(f"the platform's token endpoint gave no access token ({exc})") from exc
        self._tokens[key] = (token, time.monotonic() + max(lasts - 60, 0))
        return token

    async def _get(self, url: str, headers: dict[str, str]) -> tuple[Any, dict[str, Any]]:
        try:
            return await _get_json(self._client, url, headers, self.MAX_PAGE_BYTES)
        except (httpx.HTTPError, ValueError) as exc:
            raise Unavailable(f"the platform's service at {url} could not be read ({exc})") from exc

    async def close(self) -> None:
        await self._client.aclose()


def scores_url(lineitem_url: str) -> str:
    """A line item's scores endpoint: `/scores` after its path, before its query (AGS 2.0 §3.4)."""
    path, mark, query = lineitem_url.partition("?")
    return f"{path.rstrip('/')}/scores{mark}{query}"

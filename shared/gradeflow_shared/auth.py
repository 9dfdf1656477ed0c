"""Bearer tokens: signed JWTs naming the user (and platform roles: admin), from an identity provider
(its JWKS) or, in development, the gateway's built-in issuer; checked by every service that serves
user data (the gateway, the notifier's inbox) or operations (the metrics service: admins only)."""

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gradeflow_shared.errors import Unauthenticated

log = logging.getLogger(__name__)
ADMIN = "admin"
DEV_ISSUER = "gradeflow-development"  # AUTH_ISSUER's default: the built-in issuer
AUDIENCE = "gradeflow"  # AUTH_AUDIENCE's default


# An identity provider's subject that is not a UUID (Auth0's "auth0|5f…", Google's digits) names
# a user by a UUID derived from issuer and subject: the same in every service and replica.
_SUBJECTS = UUID("6c1f2f4e-6b7a-4f57-9a77-6a0f0b3e5d21")


@dataclass(frozen=True)
class Caller:
    user_id: UUID  # for an identity provider's token, until the gateway has provisioned the user
    roles: frozenset[str]
    issuer: str = DEV_ISSUER
    subject: str = ""
    email: str | None = None
    name: str | None = None
    email_verified: bool = False
    # Signed with the built-in issuer's key (a dev login; the gateway passing a request on), not an
    # identity provider's: its subject is the Gradeflow user id. Told by the key, not a claim.
    built_in: bool = True

    @property
    def admin(self) -> bool:
        return ADMIN in self.roles


class Tokens:
    """Bearer tokens checked as an OAuth2 resource server checks them: a signed JWT (ES256, RS256)
    whose key (`kid`) is known, issuer and audience ours, not expired, naming a user. The keys are
    the built-in development issuer's — an ES256 key derived from AUTH_SECRET, the same in every
    service and replica, which also signs (dev login) — or, with `jwks_url`, an identity
    provider's JWKS, fetched and refreshed in the background (`run`) and again soon after a token
    names a key not seen yet (key rotation). Symmetric algorithms are never accepted."""

    # Verified tokens remembered (token → caller, expiry): a client sends the same token on every
    # request, and checking its signature and claims again cost a tenth of a submit's CPU.
    CACHE_SIZE = 10_000
    ALGORITHMS = ("ES256", "RS256")
    REFRESH_SECONDS = 600.0  # the JWKS fetched again at least this often
    REFRESH_MIN_SECONDS = 5.0  # and, on unknown key ids, at most this often

    def __init__(
        self,
        secret: str,
        ttl_seconds: int = 12 * 3600,
        *,
        issuer: str = DEV_ISSUER,
        audience: str = AUDIENCE,
        jwks_url: str | None = None,
        user_claim: str = "sub",
    ) -> None:
        self._ttl = timedelta(seconds=ttl_seconds)
        self.issuer, self.audience, self._user_claim = issuer, audience, user_claim
        self._jwks_url = jwks_url
        self._verified: dict[str, tuple[Caller, float]] = {}
        # The built-in issuer's key is always known: it signs dev logins (development) and, with
        # an identity provider too, the gateway's short tokens for the services behind it.
        self._signing = _dev_key(secret)
        self._kid = _kid(self._signing.public_key())
        self._built_in = {self._kid: self._signing.public_key()}
        self._keys: dict[str, Any] = dict(self._built_in)
        self._wanted = asyncio.Event()
        self._stopping = asyncio.Event()

    def issue(self, user_id: UUID, admin: bool = False, ttl_seconds: float | None = None) -> str:
        """A token of the built-in issuer naming a Gradeflow user."""
        now = datetime.now(UTC)
        expires = now + (self._ttl if ttl_seconds is None else timedelta(seconds=ttl_seconds))
        claims = {
            "sub": str(user_id), "iss": DEV_ISSUER, "aud": self.audience, "iat": now, "exp": expires,
            "roles": [ADMIN] if admin else [],
        }  # fmt: skip
        return jwt.encode(claims, self._signing, algorithm="ES256", headers={"kid": self._kid})

    def jwks(self) -> dict[str, Any]:
        """The built-in issuer's public key, as a JWKS document (an identity provider publishes its own)."""
        keys = []
        for kid, key in self._built_in.items():
            jwk = json.loads(jwt.algorithms.get_default_algorithms()[_alg(key)].to_jwk(key))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": _alg(key)})
        return {"keys": keys}

    def verify(self, token: str | None) -> UUID:
        return self.caller(token).user_id

    def caller(self, token: str | None) -> Caller:
        """Who the token names, and the platform-wide roles it carries (admin)."""
        if not token:
            raise Unauthenticated("missing bearer token")
        known = self._verified.get(token)
        if known is not None and known[1] > time.time():
            return known[0]
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                self._wanted.set()  # a key rotated in, perhaps: fetch the JWKS again soon
                raise Unauthenticated("the token is signed by a key not known here")
            built_in = kid in self._built_in
            claim = "sub" if built_in else self._user_claim
            claims = jwt.decode(
                token,
                key,
                algorithms=list(self.ALGORITHMS),
                audience=self.audience,
                issuer=DEV_ISSUER if built_in else self.issuer,
                options={"require": ["exp", "iss", "aud", claim]},
            )
            caller = _caller(claims, claim, built_in)
            expires = float(claims["exp"])
        except (jwt.PyJWTError, KeyError, TypeError, ValueError) as e:
            raise Unauthenticated("invalid or expired token") from e
        if len(self._verified) >= self.CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest remembered
        self._verified[token] = (caller, expires)
        return caller

    async def refresh(self) -> None:
        """The identity provider's keys, fetched now (no-op for the development issuer)."""
        if self._jwks_url is None:
            return
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(self._jwks_url)
            response.raise_for_status()
        keys = {k.key_id: k.key for k in jwt.PyJWKSet.from_dict(response.json()).keys if k.key_id}
        self._keys = {**keys, **self._built_in}

    async def run(self) -> None:
        """Keep the identity provider's keys fresh: every REFRESH_SECONDS, and soon after a token
        names an unknown key (no sooner than REFRESH_MIN_SECONDS after the last fetch)."""
        if self._jwks_url is None:
            return
        while not self._stopping.is_set():
            try:
                await self.refresh()
            except (httpx.HTTPError, jwt.PyJWTError, ValueError) as exc:
                log.warning("JWKS not refreshed from %s: %s", self._jwks_url, exc)
            self._wanted.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.REFRESH_MIN_SECONDS)
            if self._stopping.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wanted.wait(), self.REFRESH_SECONDS - self.REFRESH_MIN_SECONDS)

    def stop(self) -> None:
        self._stopping.set()


def _caller(claims: dict[str, Any], claim: str, built_in: bool) -> Caller:
    subject = str(claims[claim])
    if built_in:
        user_id = UUID(subject)
    else:
        try:
            user_id = UUID(subject)
        except ValueError:
            user_id = uuid5(_SUBJECTS, f"{claims['iss']}\0{subject}")
    email = claims.get("email")
    return Caller(
        user_id,
        frozenset(map(str, claims.get("roles", []))),
        issuer=str(claims["iss"]),
        subject=subject,
        email=str(email) if email else None,
        name=str(claims["name"]) if claims.get("name") else None,
        email_verified=claims.get("email_verified") is True,
        built_in=built_in,
    )


def _dev_key(secret: str) -> ec.EllipticCurvePrivateKey:
    """The development issuer's signing key, derived from AUTH_SECRET: every service (and replica)
    that knows the secret checks the same key, none needs to fetch it."""
    digest = hashlib.sha256(b"gradeflow development issuer\0" + secret.encode()).digest()
    return ec.derive_private_key(int.from_bytes(digest, "big") % (_P256_ORDER - 1) + 1, ec.SECP256R1())


def _kid(public_key: Any) -> str:
    raw = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "dev-" + hashlib.sha256(raw).hexdigest()[:16]


def _alg(key: Any) -> str:
    return "ES256" if isinstance(key, ec.EllipticCurvePublicKey) else "RS256"


_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

"""Bearer tokens: HS256 JWTs naming the user (and platform roles: admin), issued by the gateway and
verified by any service that serves user data (the notifier's inbox) or operations (the metrics
service: admins only). A real identity provider replaces the issuer later."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from gradeflow_shared.errors import FieldError


class Unauthenticated(FieldError):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="Authorization")


ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    user_id: UUID
    roles: frozenset[str]

    @property
    def admin(self) -> bool:
        return ADMIN in self.roles


class Forbidden(FieldError):
    """Authenticated, but without the role the route needs (403)."""


class Tokens:
    # Verified tokens remembered (token → user, expiry): a client sends the same token on every
    # request, and checking its signature and claims again cost a tenth of a submit's CPU.
    CACHE_SIZE = 10_000

    def __init__(self, secret: str, ttl_seconds: int = 12 * 3600) -> None:
        self._secret = secret
        self._ttl = timedelta(seconds=ttl_seconds)
        self._verified: dict[str, tuple[Caller, float]] = {}

    def issue(self, user_id: UUID, admin: bool = False) -> str:
        now = datetime.now(UTC)
        claims = {"sub": str(user_id), "iat": now, "exp": now + self._ttl, "roles": [ADMIN] if admin else []}
        return jwt.encode(claims, self._secret, algorithm="HS256")

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
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}
            )
            caller = Caller(UUID(claims["sub"]), frozenset(map(str, claims.get("roles", []))))
            expires = float(claims["exp"])
        except (jwt.PyJWTError, KeyError, TypeError, ValueError) as e:
            raise Unauthenticated("invalid or expired token") from e
        if len(self._verified) >= self.CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest remembered
        self._verified[token] = (caller, expires)
        return caller

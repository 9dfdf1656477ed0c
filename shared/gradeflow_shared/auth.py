"""Bearer tokens: HS256 JWTs naming the user, issued by the gateway and verified by any service
that serves user data (the notifier's inbox). A real identity provider replaces the issuer later."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from gradeflow_shared.errors import FieldError


class Unauthenticated(FieldError):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="Authorization")


class Tokens:
    def __init__(self, secret: str, ttl_seconds: int = 12 * 3600) -> None:
        self._secret = secret
        self._ttl = timedelta(seconds=ttl_seconds)

    def issue(self, user_id: UUID) -> str:
        now = datetime.now(UTC)
        claims = {"sub": str(user_id), "iat": now, "exp": now + self._ttl}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str | None) -> UUID:
        if not token:
            raise Unauthenticated("missing bearer token")
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"])
            return UUID(claims["sub"])
        except (jwt.PyJWTError, KeyError, ValueError) as e:
            raise Unauthenticated("invalid or expired token") from e

"""Bearer tokens: HS256 JWTs naming the user. Development login issues them; the API issue will
put a real identity provider in front."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from gateway.domain.errors import Unauthenticated


class Tokens:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = timedelta(seconds=ttl_seconds)

    def issue(self, user_id: UUID) -> str:
        now = datetime.now(UTC)
        claims = {"sub": str(user_id), "iat": now, "exp": now + self._ttl}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> UUID:
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"])
            return UUID(claims["sub"])
        except (jwt.PyJWTError, KeyError, ValueError) as e:
            raise Unauthenticated("invalid or expired token") from e

"""API keys: a user makes keys for their integrations (each scoped, named, shown once), lists and
revokes them; a request carrying one acts as that user within the key's scopes. A key checked is
remembered for a minute (a revocation takes effect within it); its last use is recorded at most
once a minute."""

import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from gateway import schemas as s
from gateway.domain import api_keys as keys
from gateway.domain.errors import Forbidden, NotFound
from gateway.usecases.ports import Units
from gradeflow_shared.errors import Unauthenticated

REMEMBER_SECONDS = 60.0


async def create(units: Units, user_id: UUID, cmd: s.ApiKeyIn) -> s.ApiKeyCreated:
    prefix, secret_sha256, key = keys.new_key()
    async with units() as uow:
        row = await uow.repos.keys.add_api_key(
            user_id,
            {"name": cmd.name, "prefix": prefix, "secret_sha256": secret_sha256, "scopes": list(cmd.scopes)},
        )
        await uow.commit()
    return s.ApiKeyCreated(**_view(row).model_dump(), key=key)


async def listing(units: Units, user_id: UUID) -> list[s.ApiKeyOut]:
    async with units() as uow:
        return [_view(row) for row in await uow.repos.keys.api_keys_of(user_id)]


async def revoke(units: Units, checker: "KeyChecker", user_id: UUID, key_id: UUID) -> None:
    """At once on this gateway process; within REMEMBER_SECONDS on the others."""
    async with units() as uow:
        prefix = await uow.repos.keys.revoke_api_key(user_id, key_id)
        if prefix is None:
            raise NotFound("API key not found", field="key_id")
        await uow.commit()
    checker.forget(prefix)


@dataclass
class KeyChecker:
    """Checks presented keys, remembering each (good or not) for REMEMBER_SECONDS."""

    units: Units
    _known: dict[str, tuple[Any, float]] = field(default_factory=dict)
    _touched: dict[UUID, float] = field(default_factory=dict)

    async def user_for(self, presented: str, route_class: str) -> UUID:
        parsed = keys.parse(presented)
        if parsed is None:
            raise Unauthenticated("not an API key of this platform")
        prefix, secret = parsed
        row = await self._row(prefix)
        if row is None or row.revoked_at is not None or not keys.matches(secret, row.secret_sha256):
            raise Unauthenticated("unknown or revoked API key")
        if keys.NEEDED[route_class] not in row.scopes:
            raise Forbidden(
                f"this API key's scopes ({', '.join(row.scopes)}) do not allow {route_class}",
                field="X-API-Key",
            )
        if time.monotonic() - self._touched.get(row.id, -REMEMBER_SECONDS) >= REMEMBER_SECONDS:
            self._touched[row.id] = time.monotonic()
            async with self.units() as uow:
                await uow.repos.keys.touch_api_key(row.id)
                await uow.commit()
        return UUID(str(row.user_id))

    async def owner_of(self, presented: str) -> UUID | None:
        """The user a valid, unrevoked key belongs to (whatever its scopes), else None."""
        parsed = keys.parse(presented)
        if parsed is None:
            return None
        row = await self._row(parsed[0])
        if row is None or row.revoked_at is not None or not keys.matches(parsed[1], row.secret_sha256):
            return None
        return UUID(str(row.user_id))

    def forget(self, prefix: str) -> None:
        self._known.pop(prefix, None)

    async def _row(self, prefix: str) -> Any:
        known = self._known.get(prefix)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        async with self.units() as uow:
            row = await uow.repos.keys.api_key_by_prefix(prefix)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[prefix] = (row, time.monotonic() + REMEMBER_SECONDS)
        return row


def _view(row: Any) -> s.ApiKeyOut:
    return s.ApiKeyOut(
        id=row.id, name=row.name, prefix=f"{keys.PREFIX}{row.prefix}", scopes=list(row.scopes),
        created_at=row.created_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at,
    )  # fmt: skip

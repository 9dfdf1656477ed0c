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
from gateway.domain.limits import Rate
from gateway.usecases.ports import Units
from gradeflow_shared.errors import Unauthenticated

REMEMBER_SECONDS = 60.0


async def create(
    units: Units, user_id: UUID, cmd: s.ApiKeyIn, default_runs: Rate | None = None, admin: bool = False
) -> s.ApiKeyCreated:
    """`default_runs`: the deployment's limit on runs, which a key's own may not exceed unless an
    admin makes it."""
    prefix, secret_sha256, key = keys.new_key()
    fields: dict[str, Any] = {
        "name": cmd.name,
        "prefix": prefix,
        "secret_sha256": secret_sha256,
        "scopes": list(cmd.scopes),
    }
    if cmd.runs_rate is not None:
        fields.update(_rate_fields(cmd.runs_rate, default_runs, admin))
    async with units() as uow:
        row = await uow.repos.keys.add_api_key(user_id, fields)
        await uow.commit()
    return s.ApiKeyCreated(**_view(row).model_dump(), key=key)


async def set_runs_rate(
    units: Units, checker: "KeyChecker", key_id: UUID, rate: s.KeyRate | None
) -> s.ApiKeyOut:
    """An admin sets any key's own limit on runs (none at all included), or drops it (None: the
    deployment's again); in effect at once on this process, within REMEMBER_SECONDS on the others."""
    fields: dict[str, Any] = {"runs_limit": None, "runs_period_seconds": None}
    if rate is not None:
        fields = _rate_fields(rate, None, admin=True)
    async with units() as uow:
        row = await uow.repos.keys.update_api_key(key_id, fields)
        if row is None:
            raise NotFound("API key not found", field="key_id")
        await uow.commit()
    checker.forget(row.prefix)
    return _view(row)


def _rate_fields(rate: s.KeyRate, default_runs: Rate | None, admin: bool) -> dict[str, Any]:
    wanted = Rate(rate.runs, keys.PERIODS[rate.per])
    if not admin and not keys.within(wanted, default_runs):
        limit = f"{default_runs.capacity} per {default_runs.period_seconds:g} s" if default_runs else "none"
        raise Forbidden(
            f"a key's own limit may not exceed this deployment's ({limit}) but by an admin", field="runs_rate"
        )
    return {"runs_limit": wanted.capacity, "runs_period_seconds": int(wanted.period_seconds)}


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
        found = await self.owner_and_rate(presented)
        return found[0] if found else None

    async def owner_and_rate(self, presented: str) -> tuple[UUID, str, Rate | None] | None:
        """(its user, its prefix, its own limit on runs) for a valid, unrevoked key, else None."""
        parsed = keys.parse(presented)
        if parsed is None:
            return None
        row = await self._row(parsed[0])
        if row is None or row.revoked_at is not None or not keys.matches(parsed[1], row.secret_sha256):
            return None
        return UUID(str(row.user_id)), row.prefix, keys.own_rate(row.runs_limit, row.runs_period_seconds)

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
    own = keys.own_rate(row.runs_limit, row.runs_period_seconds)
    rate = s.KeyRate(runs=own.capacity, per=keys.PERIOD_NAMES[int(own.period_seconds)]) if own else None
    return s.ApiKeyOut(
        id=row.id, name=row.name, prefix=f"{keys.PREFIX}{row.prefix}", scopes=list(row.scopes),
        runs_rate=rate, created_at=row.created_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at,
    )  # fmt: skip

"""Idempotency keys: a retried request with the same key gets the first one's answer and does
nothing twice; while the first is still being worked on, the retry is told so (409); the same key
with another request is refused (422). Only answered requests are kept: one that failed on our
side (5xx) lets its key go, so that a retry does the work."""

from dataclasses import dataclass
from typing import Any

from gateway.domain.errors import Conflict, GatewayError
from gateway.usecases.ports import Units


@dataclass(frozen=True)
class Replay:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class KeyPolicy:
    ttl_seconds: float
    lock_seconds: float


async def take(units: Units, policy: KeyPolicy, client: str, key: str, fingerprint: str) -> Replay | None:
    """None: the request is to be worked on (the key is its own now); else the first answer."""
    async with units() as uow:
        taken = await uow.repos.idempotency.take_idempotency_key(
            client, key, fingerprint, policy.ttl_seconds, policy.lock_seconds
        )
        row: Any = None if taken else await uow.repos.idempotency.idempotency_key(client, key)
        await uow.commit()
    if taken or row is None:
        return None
    if row.fingerprint != fingerprint:
        raise GatewayError("this key was used with another request", field="Idempotency-Key")
    if row.status is None:
        raise Conflict(
            "a request with this key is still being worked on; retry shortly", field="Idempotency-Key"
        )
    return Replay(row.status, dict(row.headers or {}), bytes(row.body or b""))


async def answer(units: Units, client: str, key: str, replay: Replay) -> None:
    async with units() as uow:
        if replay.status >= 500:
            await uow.repos.idempotency.release_idempotency_key(client, key)
        else:
            await uow.repos.idempotency.answer_idempotency_key(
                client, key, replay.status, replay.headers, replay.body
            )
        await uow.commit()


async def release(units: Units, client: str, key: str) -> None:
    async with units() as uow:
        await uow.repos.idempotency.release_idempotency_key(client, key)
        await uow.commit()

"""Idempotency-Key through the HTTP API and PostgreSQL: the same submission sent twice at once with
one key is one submission; a retry after the answer gets the first answer again, marked replayed;
the key with another body is a 422 naming it; a key is per client."""

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from tests.support.api import classroom
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


async def _submissions(infra: Infra, assignment_id: str) -> int:
    conn = await asyncpg.connect(infra.admin_url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM gateway.submissions WHERE assignment_id = $1", uuid.UUID(assignment_id)
            )
        )
    finally:
        await conn.close()


async def test_the_same_submission_twice_at_once_with_one_key_is_one_submission(
    gateway: httpx.AsyncClient, infra: Infra
) -> None:
    room = await classroom(gateway, students=2)
    (_, auth), (_, other) = room.students
    body = {"assignment_id": room.assignment_id, "language": "python", "source": "print(1)"}
    keyed = {**auth, "Idempotency-Key": f"submit-{uuid.uuid4()}"}
    first, second = await asyncio.gather(
        gateway.post("/v1/submissions", json=body, headers=keyed),
        gateway.post("/v1/submissions", json=body, headers=keyed),
    )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses in ([202, 202], [202, 409]), statuses
    assert await _submissions(infra, room.assignment_id) == 1

    accepted = first if first.status_code == 202 else second
    retry = await gateway.post("/v1/submissions", json=body, headers=keyed)
    assert retry.status_code == 202 and retry.json() == accepted.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert await _submissions(infra, room.assignment_id) == 1

    changed = await gateway.post("/v1/submissions", json={**body, "source": "print(2)"}, headers=keyed)
    assert changed.status_code == 422 and changed.json()["fields"][0]["field"] == "Idempotency-Key"

    # Another client's same key is theirs: a submission of its own.
    theirs = await gateway.post(
        "/v1/submissions", json=body, headers={**other, "Idempotency-Key": keyed["Idempotency-Key"]}
    )
    assert theirs.status_code == 202 and theirs.json()["id"] != accepted.json()["id"]
    assert await _submissions(infra, room.assignment_id) == 2


async def test_a_refusal_is_an_answer_too_and_a_bad_key_is_named(gateway: httpx.AsyncClient) -> None:
    room = await classroom(gateway)
    _, auth = room.students[0]
    keyed = {**auth, "Idempotency-Key": f"bad-{uuid.uuid4()}"}
    body = {"assignment_id": room.assignment_id, "language": "cobol", "source": "x"}
    refused = await gateway.post("/v1/submissions", json=body, headers=keyed)
    again = await gateway.post("/v1/submissions", json=body, headers=keyed)
    assert refused.status_code == again.status_code == 422 and again.json() == refused.json()
    assert again.headers["idempotent-replayed"] == "true"
    too_long = await gateway.post(
        "/v1/submissions", json=body, headers={**auth, "Idempotency-Key": "k" * 256}
    )
    assert too_long.status_code == 422 and too_long.json()["fields"][0]["field"] == "Idempotency-Key"
    # Without a key, nothing is kept: each request is its own.
    plain = [await gateway.post("/v1/courses", json={"title": "T"}, headers=room.teacher) for _ in range(2)]
    assert plain[0].json()["id"] != plain[1].json()["id"]


async def test_an_answer_carrying_a_secret_is_never_kept(gateway: httpx.AsyncClient, infra: Infra) -> None:
    """A new API key's secret is shown once: an Idempotency-Key keeps none of it, and a retry is
    told the answer cannot be replayed rather than shown the secret again."""
    room = await classroom(gateway)
    keyed = {**room.teacher, "Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = await gateway.post("/v1/api-keys", json={"name": "LMS", "scopes": ["runs"]}, headers=keyed)
    assert first.status_code == 201 and first.headers["cache-control"] == "no-store"
    secret = first.json()["key"]
    conn = await asyncpg.connect(infra.admin_url)
    try:
        stored = await conn.fetch("SELECT * FROM gateway.idempotency_keys")
    finally:
        await conn.close()
    assert stored and not any(secret.encode() in str(dict(row)).encode() for row in stored)
    # The key's secret part alone (it may hold "_" itself: split on the last one, a fragment of a
    # few characters would be found in any row by chance).
    secret_part = secret.removeprefix("gf_").partition("_")[2]
    assert len(secret_part) >= 40 and not any(secret_part in str(dict(row)) for row in stored)
    again = await gateway.post("/v1/api-keys", json={"name": "LMS", "scopes": ["runs"]}, headers=keyed)
    assert again.status_code == 409 and again.json()["error"] == "not_replayable", again.text
    assert secret not in again.text

"""API keys through the HTTP API and PostgreSQL: a user makes a scoped key (shown once, kept as a
digest), an integration calls with it — as X-API-Key, as a bearer token, as Judge0's X-Auth-Token —
within its scopes only; its last use is recorded; a revoked key is refused; keys are managed with
the user's own token, never with a key."""

import hashlib
import uuid

import asyncpg
import httpx
import pytest

from tests.support.api import classroom
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
RUN = {"language": "python", "source": "print(1)"}


async def test_a_scoped_key_acts_as_its_user_within_its_scopes_until_revoked(
    gateway: httpx.AsyncClient, infra: Infra
) -> None:
    room = await classroom(gateway, students=1)
    _, student = room.students[0]
    made = await gateway.post(
        "/v1/api-keys", json={"name": "CI runner", "scopes": ["runs", "read"]}, headers=student
    )
    assert made.status_code == 201, made.text
    key, key_id = made.json()["key"], made.json()["id"]
    assert key.startswith(made.json()["prefix"] + "_")

    run = await gateway.post("/v1/runs", json=RUN, headers={"X-API-Key": key})
    assert run.status_code == 202, run.text
    assert (
        await gateway.get(f"/v1/runs/{run.json()['id']}", headers={"Authorization": f"Bearer {key}"})
    ).status_code == 200
    judge0 = await gateway.post("/judge0/submissions", json={"source_code": "print(1)", "language_id": 71},
                                headers={"X-Auth-Token": key})  # fmt: skip
    assert judge0.status_code == 201, judge0.text
    body = {"assignment_id": room.assignment_id, "language": "python", "source": "print(1)"}
    refused = await gateway.post("/v1/submissions", json=body, headers={"X-API-Key": key})
    assert refused.status_code == 403 and "scopes" in refused.json()["message"], "no submissions scope"
    assert (await gateway.get("/v1/api-keys", headers={"X-API-Key": key})).status_code == 403, (
        "not with a key"
    )

    conn = await asyncpg.connect(infra.admin_url)
    try:
        row = await conn.fetchrow(
            "SELECT secret_sha256, last_used_at FROM gateway.api_keys WHERE id = $1", uuid.UUID(key_id)
        )
    finally:
        await conn.close()
    secret = key.split("_", 2)[2]  # gf_<prefix>_<secret>: the secret may hold "_" itself
    assert (
        row["last_used_at"] is not None
        and row["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    )
    assert secret not in row["secret_sha256"], "a digest only"
    [listed] = (await gateway.get("/v1/api-keys", headers=student)).json()
    assert listed["id"] == key_id and "key" not in listed and listed["last_used_at"] is not None

    assert (await gateway.delete(f"/v1/api-keys/{key_id}", headers=student)).status_code == 204
    assert (await gateway.delete(f"/v1/api-keys/{key_id}", headers=room.teacher)).status_code == 404, (
        "not theirs"
    )
    revoked = await gateway.post("/v1/runs", json=RUN, headers={"X-API-Key": key})
    assert revoked.status_code == 401 and "revoked" in revoked.json()["message"]
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert (await gateway.post("/v1/runs", json=RUN, headers={"X-API-Key": forged})).status_code == 401
    assert (await gateway.post("/v1/runs", json=RUN, headers={"X-API-Key": "gf_nope"})).status_code == 401
    bad = await gateway.post("/v1/api-keys", json={"name": "x", "scopes": ["admin"]}, headers=student)
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"].startswith("scopes")

"""Bad input gets a 4xx whose JSON names the field, and nothing is stored or queued for it."""

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.api import CORRECT, classroom
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


async def _counts(infra: Infra) -> tuple[int, int]:
    conn = await asyncpg.connect(infra.admin_url)
    try:
        submissions = await conn.fetchval("SELECT count(*) FROM gateway.submissions")
        staged = await conn.fetchval(
            "SELECT count(*) FROM gateway.outbox WHERE routing_key = 'submission.created'"
        )
    finally:
        await conn.close()
    return submissions, staged


CASES: list[tuple[str, Any, int, str]] = [
    ("malformed json", b'{"assignment_id": ', 400, "body"),
    ("unknown language", {"language": "cobol"}, 422, "language"),
    ("unknown assignment", {"assignment_id": str(uuid.uuid4())}, 404, "assignment_id"),
    ("source over 64 KiB", {"source": "x" * (64 * 1024 + 1)}, 422, "source"),
    ("missing field", {"source": None}, 422, "source"),
    ("NUL in the source", {"source": "print(1)\x00"}, 422, "source"),
    ("not a uuid", {"assignment_id": "42"}, 422, "assignment_id"),
    ("unknown field", {"extra": 1}, 422, "extra"),
]


@pytest.mark.parametrize(("case", "change", "status", "field"), CASES, ids=[c[0] for c in CASES])
async def test_bad_submission_is_refused_naming_the_field_and_stores_nothing(
    gateway: httpx.AsyncClient, infra: Infra, case: str, change: Any, status: int, field: str
) -> None:
    room = await classroom(gateway)
    _, student = room.students[0]
    before = await _counts(infra)
    if isinstance(change, bytes):
        r = await gateway.post(
            "/v1/submissions",
            content=change,
            headers={**student, "Content-Type": "application/json"},
        )
    else:
        body = {"assignment_id": room.assignment_id, "language": "python", "source": CORRECT}
        body.update(change)
        body = {k: v for k, v in body.items() if v is not None}
        r = await gateway.post("/v1/submissions", json=body, headers=student)
    assert r.status_code == status, r.text
    error = r.json()
    assert error["error"]
    assert field in [f["field"] for f in error["fields"]], error
    assert await _counts(infra) == before


async def test_submission_without_token_is_unauthenticated(gateway: httpx.AsyncClient) -> None:
    r = await gateway.post("/v1/submissions", json={})
    assert r.status_code == 401
    assert r.json()["fields"][0]["field"] == "Authorization"


async def test_a_teacher_cannot_submit_and_nothing_is_stored(
    gateway: httpx.AsyncClient, infra: Infra
) -> None:
    room = await classroom(gateway)
    before = await _counts(infra)
    body = {"assignment_id": room.assignment_id, "language": "python", "source": CORRECT}
    r = await gateway.post("/v1/submissions", json=body, headers=room.teacher)
    assert r.status_code == 403
    assert await _counts(infra) == before


async def test_a_student_outside_the_course_cannot_submit(gateway: httpx.AsyncClient) -> None:
    room = await classroom(gateway)
    other = await classroom(gateway)
    _, outsider = other.students[0]
    body = {"assignment_id": room.assignment_id, "language": "python", "source": CORRECT}
    r = await gateway.post("/v1/submissions", json=body, headers=outsider)
    assert r.status_code == 403

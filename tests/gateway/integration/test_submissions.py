"""A valid submission is stored with its outbox row in one transaction and answered 202 at once;
the relay publishes it to the grader's queue with an explicit, persistent message id. Concurrent
submits share transactions (group commit) and each still gets its own answer."""

import asyncio
import uuid

import aio_pika
import asyncpg
import httpx
import pytest

from gradeflow_shared.events import SubmissionCreated
from tests.support.api import CORRECT, classroom
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


async def _wait_published(infra: Infra, submission_id: str) -> asyncpg.Record:
    conn = await asyncpg.connect(infra.admin_url)
    try:
        for _ in range(100):
            row = await conn.fetchrow(
                "SELECT id, published_at FROM gateway.outbox "
                "WHERE routing_key = 'submission.created' AND body::jsonb->>'submission_id' = $1",
                submission_id,
            )
            if row and row["published_at"]:
                return row
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    raise AssertionError("outbox row was not published")


async def test_submit_answers_202_queued_and_publishes_submission_created(
    gateway: httpx.AsyncClient, infra: Infra
) -> None:
    room = await classroom(gateway)
    _, student = room.students[0]
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        # A private copy of what the exchange routes, whoever else consumes the grader's queue.
        probe = await channel.declare_queue(exclusive=True)
        await probe.bind("gradeflow.events", routing_key="submission.created")

        body = {"assignment_id": room.assignment_id, "language": "python", "source": CORRECT}
        r = await gateway.post("/v1/submissions", json=body, headers=student)
        assert r.status_code == 202, r.text
        accepted = r.json()
        assert accepted["status"] == "queued"
        view = await gateway.get(f"/v1/submissions/{accepted['id']}", headers=student)
        assert view.status_code == 200
        # Nothing grades on this test run's vhost (the end-to-end stack has its own): still queued.
        assert view.json()["status"] == "queued"

        row = await _wait_published(infra, accepted["id"])
        found = None
        async with probe.iterator(timeout=10) as messages:
            async for message in messages:
                await message.ack()
                if message.message_id == str(row["id"]):
                    found = message
                    break
    assert found is not None, "submission.created was not published"
    assert found.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert found.type == "submission.created"
    event = SubmissionCreated.model_validate_json(found.body)
    assert str(event.submission_id) == accepted["id"]
    assert found.correlation_id == accepted["id"]
    assert found.headers is not None and "x-published-at" in found.headers


async def test_another_student_cannot_see_a_submission(gateway: httpx.AsyncClient) -> None:
    room = await classroom(gateway, students=2)
    (_, alice), (_, bob) = room.students
    body = {"assignment_id": room.assignment_id, "language": "python", "source": CORRECT}
    accepted = (await gateway.post("/v1/submissions", json=body, headers=alice)).json()
    assert (await gateway.get(f"/v1/submissions/{accepted['id']}", headers=bob)).status_code == 404
    teacher_view = await gateway.get(f"/v1/submissions/{accepted['id']}", headers=room.teacher)
    assert teacher_view.status_code == 200


async def test_concurrent_submits_share_commits_and_each_gets_its_own_answer(
    gateway: httpx.AsyncClient, infra: Infra
) -> None:
    room = await classroom(gateway, students=3)
    body = {"assignment_id": room.assignment_id, "language": "python", "source": CORRECT}
    unknown = {**body, "assignment_id": "00000000-0000-7000-8000-000000000000"}
    sends = [(body, headers) for _, headers in room.students] * 10
    sends += [(body, room.teacher)] * 5 + [(unknown, room.students[0][1])] * 5
    answers = await asyncio.gather(*(gateway.post("/v1/submissions", json=b, headers=h) for b, h in sends))
    codes = [r.status_code for r in answers]
    assert codes == [202] * 30 + [403] * 5 + [404] * 5, codes
    accepted = {r.json()["id"] for r in answers[:30]}
    assert len(accepted) == 30
    conn = await asyncpg.connect(infra.admin_url)
    try:
        rows = await conn.fetch(
            "SELECT id::text, created_at FROM gateway.submissions WHERE assignment_id = $1",
            uuid.UUID(room.assignment_id),
        )
        staged = await conn.fetch(
            "SELECT body::jsonb->>'submission_id' AS id FROM gateway.outbox "
            "WHERE routing_key = 'submission.created' AND body::jsonb->>'assignment_id' = $1",
            room.assignment_id,
        )
    finally:
        await conn.close()
    assert {r["id"] for r in rows} == accepted, "exactly the accepted ones stored"
    assert sorted(r["id"] for r in staged) == sorted(accepted), "one event each, none for the refused"
    # now() is the transaction's start: submissions sharing it were committed together.
    assert len({r["created_at"] for r in rows}) < 30, "some submits shared a unit of work"

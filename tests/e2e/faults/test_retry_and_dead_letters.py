"""Retry and dead letters on the real services: a poison message is dead-lettered at once; a
transient failure is retried through the delay tiers and processed once; a failure that outlasts
every tier ends in the DLQ, and a replay after the fix processes it once."""

import asyncio
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest

from gradeflow_shared.auth import Tokens
from gradeflow_shared.envelope import Envelope
from gradeflow_shared.events import AssignmentPublished, Event, SubmissionCreated, TestCaseSpec
from gradeflow_tools.scratch import Infra
from gradeflow_tools.stack import Stack
from tests.e2e.faults.conftest import RETRY_DELAYS_MS
from tests.support.api import CORRECT

pytestmark = pytest.mark.e2e
QUEUE = "grader.submissions"


async def _publish(infra: Infra, routing_key: str, body: bytes, message_id: str) -> None:
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("gradeflow.events")
        message = aio_pika.Message(
            body=body,
            message_id=message_id,
            type=routing_key,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={"x-published-at": datetime.now(UTC).isoformat()},
        )
        await exchange.publish(message, routing_key=routing_key, mandatory=True)


async def _publish_event(infra: Infra, event: Event) -> str:
    envelope = Envelope.for_event(event)
    await _publish(infra, event.type, event.model_dump_json().encode(), envelope.message_id)
    return envelope.message_id


def _submission(assignment_id: uuid.UUID) -> SubmissionCreated:
    return SubmissionCreated(
        submission_id=uuid.uuid4(),
        assignment_id=assignment_id,
        course_id=uuid.uuid4(),
        student_id=uuid.uuid4(),
        language="python",
        source=CORRECT,
        created_at=datetime.now(UTC),
    )


def _assignment(assignment_id: uuid.UUID) -> AssignmentPublished:
    test = TestCaseSpec(
        test_id=uuid.uuid4(), position=1, stdin="10\n", expected_stdout="55\n", weight=1, hidden=False
    )
    return AssignmentPublished(
        assignment_id=assignment_id,
        course_id=uuid.uuid4(),
        title="late suite",
        time_limit_ms=2000,
        memory_limit_mb=256,
        tests=(test,),
    )


async def _timings(infra: Infra, message_id: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(infra.admin_url)
    try:
        return await conn.fetch(
            "SELECT outcome, attempt, wait_ms, error FROM metrics.job_timings "
            "WHERE message_id = $1 AND queue = $2 ORDER BY attempt, finished_at",
            message_id,
            QUEUE,
        )
    finally:
        await conn.close()


async def _wait_timings(infra: Infra, message_id: str, outcome: str, count: int, timeout: float) -> list[Any]:
    for _ in range(int(timeout / 0.2)):
        rows = await _timings(infra, message_id)
        if sum(r["outcome"] == outcome for r in rows) >= count:
            return rows
        await asyncio.sleep(0.2)
    raise AssertionError(f"{message_id}: not {count}x {outcome}: {await _timings(infra, message_id)}")


async def _runs(infra: Infra, submission_id: uuid.UUID) -> int:
    conn = await asyncpg.connect(infra.admin_url)
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM grader.runs WHERE submission_id = $1", submission_id)
        )
    finally:
        await conn.close()


async def _dead_letters(metrics: httpx.AsyncClient) -> dict[str, Any]:
    response = await metrics.get(f"/v1/dead-letters/{QUEUE}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
async def metrics(fault_stack: Stack, fault_infra: Infra) -> Any:
    """The operations API, as an admin."""
    admin = {"Authorization": f"Bearer {Tokens(fault_infra.secret).issue(uuid.uuid4(), admin=True)}"}
    async with httpx.AsyncClient(
        base_url=fault_stack.config.url("metrics"), headers=admin, timeout=30
    ) as client:
        yield client


async def test_poison_message_is_dead_lettered_without_retry(
    fault_infra: Infra, metrics: httpx.AsyncClient
) -> None:
    message_id = str(uuid.uuid4())
    await _publish(fault_infra, "submission.created", b'{"submission_id": "not-a-uuid"}', message_id)
    rows = await _wait_timings(fault_infra, message_id, "dead_lettered", 1, timeout=30)
    assert [(r["outcome"], r["attempt"]) for r in rows] == [("dead_lettered", 1)]
    letters = {m["message_id"]: m for m in (await _dead_letters(metrics))["messages"]}
    poison = letters[message_id]
    assert poison["error"].startswith("ValidationError")
    assert len(poison["attempts"]) == 1 and "x-retry-count" not in poison["headers"]
    purged = (await metrics.delete(f"/v1/dead-letters/{QUEUE}")).json()["purged"]
    assert purged >= 1


async def test_transient_failure_is_retried_with_backoff_then_processed_once(fault_infra: Infra) -> None:
    assignment_id = uuid.uuid4()
    submission = _submission(assignment_id)  # its test suite has not reached the grader yet
    message_id = await _publish_event(fault_infra, submission)
    await _wait_timings(fault_infra, message_id, "retried", 3, timeout=30)
    await _publish_event(fault_infra, _assignment(assignment_id))  # the fault is gone
    rows = await _wait_timings(fault_infra, message_id, "processed", 1, timeout=30)

    assert [r["outcome"] for r in rows] == ["retried"] * 3 + ["processed"]
    assert [r["attempt"] for r in rows] == [1, 2, 3, 4]
    # The retries' delays show in the wait times: each attempt waited its tier's delay.
    for row, delay in zip(rows[1:], RETRY_DELAYS_MS, strict=False):
        assert row["wait_ms"] >= delay * 0.9, (row["attempt"], row["wait_ms"], delay)
    assert "not received yet" in rows[0]["error"]
    await asyncio.sleep(1)
    assert await _runs(fault_infra, submission.submission_id) == 1


async def test_failure_past_the_last_tier_is_dead_lettered_and_replay_processes_it_once(
    fault_infra: Infra, fault_stack: Stack, metrics: httpx.AsyncClient
) -> None:
    assignment_id = uuid.uuid4()
    submission = _submission(assignment_id)
    message_id = await _publish_event(fault_infra, submission)
    budget = sum(RETRY_DELAYS_MS) / 1000 + 30
    rows = await _wait_timings(fault_infra, message_id, "dead_lettered", 1, timeout=budget)
    assert [r["outcome"] for r in rows] == ["retried"] * len(RETRY_DELAYS_MS) + ["dead_lettered"]

    letter = {m["message_id"]: m for m in (await _dead_letters(metrics))["messages"]}[message_id]
    assert "not received yet" in letter["error"]
    assert len(letter["attempts"]) == len(RETRY_DELAYS_MS) + 1
    assert letter["headers"]["x-original-queue"] == QUEUE

    cli = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "metrics", "dlq", "list", QUEUE],
        env=fault_stack.config.env("metrics"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert message_id in cli.stdout

    await _publish_event(fault_infra, _assignment(assignment_id))  # fix the fault, then replay
    await asyncio.sleep(1)
    replay = await metrics.post(f"/v1/dead-letters/{QUEUE}/replay", json={"message_id": message_id})
    assert replay.status_code == 200 and replay.json()["replayed"] == 1
    rows = await _wait_timings(fault_infra, message_id, "processed", 1, timeout=30)
    await asyncio.sleep(1)
    rows = await _timings(fault_infra, message_id)
    assert sum(r["outcome"] == "processed" for r in rows) == 1
    assert await _runs(fault_infra, submission.submission_id) == 1
    assert message_id not in {m["message_id"] for m in (await _dead_letters(metrics))["messages"]}


async def test_unknown_queue_is_a_404_naming_the_field(metrics: httpx.AsyncClient) -> None:
    response = await metrics.get("/v1/dead-letters/nope.nothing")
    assert response.status_code == 404
    assert response.json()["fields"][0]["field"] == "queue"

"""Job telemetry off the job's path: reports of the same moment go out as one `telemetry.jobs`
message (several when there are more than `max_items`), a report never waits for the broker,
shutdown flushes what is queued, and a broker that refuses them loses reports, counted, never
holds them without bound."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import aio_pika

from gradeflow_shared.events import JobObserved, JobsObserved
from gradeflow_shared.telemetry import JobReport, Telemetry, encode
from tests.support.fakes import RecordingPublisher


def _job(i: int) -> JobReport:
    now = datetime.now(UTC)
    return ("q", f"m{i}", "t", None, now, now, "processed", 1, None)


def _sent(publisher: RecordingPublisher) -> list[list[str]]:
    reports = [JobsObserved.model_validate_json(m.body) for m in publisher.to(JobsObserved.type)]
    return [[j.message_id for j in r.jobs] for r in reports]


async def test_reports_of_the_same_moment_go_out_as_one_message() -> None:
    publisher = RecordingPublisher()
    telemetry = Telemetry(publisher, max_wait=0.01, max_items=4)
    for i in range(10):
        telemetry.report(_job(i))
    assert publisher.sent == [], "reporting never waits for the broker"
    await asyncio.sleep(0.05)
    assert _sent(publisher) == [["m0", "m1", "m2", "m3"], ["m4", "m5", "m6", "m7"], ["m8", "m9"]]
    message = publisher.sent[0][1]
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT and message.message_id


async def test_shutdown_flushes_what_is_queued() -> None:
    publisher = RecordingPublisher()
    telemetry = Telemetry(publisher, max_wait=60)
    telemetry.report(_job(1))
    await telemetry.close()
    assert _sent(publisher) == [["m1"]]


class Refusing(RecordingPublisher):
    async def publish_many(
        self, messages: Sequence[tuple[aio_pika.Message, str]], to_queue: bool = False
    ) -> list[BaseException | None]:
        return [ConnectionError("broker gone")] * len(messages)


async def test_a_broker_that_refuses_costs_reports_counted_and_bounded() -> None:
    telemetry = Telemetry(Refusing(), max_wait=0.01, max_items=5, max_pending=8)
    for i in range(20):
        telemetry.report(_job(i))
    assert len(telemetry._pending) == 8, "no more than max_pending held"
    await asyncio.sleep(0.1)
    assert telemetry.dropped == 20 and telemetry._pending == []


class Confirming(RecordingPublisher):
    """Each publish confirmed after a round trip, as the broker does."""

    async def publish_many(
        self, messages: Sequence[tuple[aio_pika.Message, str]], to_queue: bool = False
    ) -> list[BaseException | None]:
        await asyncio.sleep(0.005)
        return await super().publish_many(messages, to_queue)


async def test_a_steady_stream_goes_out_in_a_few_large_messages_not_one_per_round_trip() -> None:
    """Reports arriving while a batch is being confirmed wait for their own moment (max_wait):
    publishing them as soon as the confirm came made a message per round trip."""
    publisher = Confirming()
    telemetry = Telemetry(publisher, max_wait=0.05, max_items=500)
    for i in range(200):  # a job a millisecond for 0.2 s
        telemetry.report(_job(i))
        await asyncio.sleep(0.001)
    await telemetry.close()
    batches = _sent(publisher)
    assert [m for b in batches for m in b] == [f"m{i}" for i in range(200)], "each once, in order"
    assert len(batches) <= 8, f"{len(batches)} messages for 200 reports"


def test_a_batch_is_encoded_as_the_telemetry_contract_says() -> None:
    now = datetime.now(UTC)
    jobs = [_job(1), ("q", "m2", "t", now, now, now, "dead_lettered", 5, "ValueError: bad")]
    decoded = JobsObserved.model_validate_json(encode(jobs))
    expected = [
        JobObserved(queue="q", message_id="m1", message_type="t", published_at=None, started_at=jobs[0][4],
                    finished_at=jobs[0][5], outcome="processed", attempt=1),
        JobObserved(queue="q", message_id="m2", message_type="t", published_at=now, started_at=now,
                    finished_at=now, outcome="dead_lettered", attempt=5, error="ValueError: bad"),
    ]  # fmt: skip
    assert decoded == JobsObserved(jobs=tuple(expected))

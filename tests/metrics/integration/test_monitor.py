"""The monitor against the real broker and database: a backlog past its threshold raises one
alert (stored, listed, exported to Prometheus and announced as `alert.raised`, persistent and
with a message id), the queue's report turns critical with a recommendation; the backlog gone,
the alert resolves once (`alert.resolved`) and stays resolved. Recent timings come from real
telemetry; history is thinned and expired as configured."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import aio_pika
import httpx
import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from gradeflow_shared.auth import Tokens
from gradeflow_shared.broker import Publisher, message_for
from gradeflow_shared.db import make_engine, make_sessions
from gradeflow_shared.envelope import H_PUBLISHED_AT, Envelope
from gradeflow_shared.events import JobObserved, JobsObserved
from gradeflow_shared.topology import DEFAULT_RETRY_DELAYS_MS, EXCHANGE, GRADER_ASSIGNMENTS, METRICS_TELEMETRY
from metrics.adapters.db.repositories import SqlMetricsStore
from metrics.app import create_app
from metrics.settings import MetricsSettings, ThresholdsIn
from tests.support.apps import serving
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
# Consumed by no app while these tests run (the integration run's gateway app lives the whole
# session and takes the gateway's queues; the grader's apps live only in their own modules).
QUEUE = GRADER_ASSIGNMENTS.queue


@pytest.fixture
async def metrics(infra: Infra) -> AsyncIterator[httpx.AsyncClient]:
    settings = MetricsSettings(
        amqp_url=infra.amqp_url,
        database_url=infra.database_url("metrics"),
        environment="test",
        auth_secret=infra.secret,
        monitor_sample_seconds=0.2,
        alert_raise_after_seconds=0.6,
        alert_resolve_after_seconds=0.6,
        alert_thresholds={QUEUE: ThresholdsIn(backlog=5)},
    )
    async with serving(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {Tokens(infra.secret).issue(uuid.uuid4(), admin=True)}"
        yield client


async def _empty(chan: aio_pika.abc.AbstractChannel) -> None:
    """The queue and its retry tiers (earlier tests' retries flow back from the tiers for minutes)."""
    for name in (QUEUE, *(GRADER_ASSIGNMENTS.retry_queue(i) for i in range(len(DEFAULT_RETRY_DELAYS_MS)))):
        await (await chan.declare_queue(name, passive=True)).purge()


@pytest.fixture
async def channel(infra: Infra) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        chan = await connection.channel()
        await _empty(chan)
        yield chan
        await _empty(chan)


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.1)


async def test_a_backlog_raises_one_alert_and_its_end_resolves_it_once(
    metrics: httpx.AsyncClient, channel: aio_pika.abc.AbstractChannel, infra: Infra
) -> None:
    exchange = await channel.get_exchange(EXCHANGE.name)
    alerts_seen = await channel.declare_queue(exclusive=True)
    await alerts_seen.bind(exchange, "alert.*")
    publisher = Publisher(infra.amqp_url)
    await publisher.connect()
    for _ in range(20):  # what they hold does not matter: nobody takes them
        envelope = Envelope.for_event(JobsObserved.model_construct(jobs=()))
        await publisher.publish(message_for(b"{}", envelope), GRADER_ASSIGNMENTS.routing_key)

    async def raised() -> bool:
        found = (await metrics.get("/v1/alerts", params={"state": "raised"})).json()["alerts"]
        return any(a["queue"] == QUEUE and a["rule"] == "backlog" for a in found)

    await _until(raised)

    async def all_counted() -> bool:  # raised past 5 waiting: a sample may have caught only some
        return bool((await metrics.get(f"/v1/queues/{QUEUE}")).json()["depth"] >= 20)

    await _until(all_counted)
    report = (await metrics.get(f"/v1/queues/{QUEUE}")).json()
    assert report["consumers"] == 0, "the test's assumption: nobody consumes the queue meanwhile"
    # At least ours (a retry tier may have given back an earlier test's since).
    assert report["depth"] >= 20 and report["health"]["status"] == "critical"
    assert report["thresholds"]["backlog"] == 5 and report["history"], "sampled"
    advice = (await metrics.get("/v1/performance")).json()["recommendations"]
    assert any(a.startswith(f"{QUEUE}: ") and "waiting and no consumer" in a for a in advice), advice
    families: dict[str, Metric] = {}

    async def gauged() -> bool:  # /metrics is the monitor's last pass, which may predate the last 20
        families.update(
            (f.name, f) for f in text_string_to_metric_families((await metrics.get("/metrics")).text)
        )
        ready = {s.labels["queue"]: s.value for s in families["gradeflow_queue_messages_ready"].samples}
        return ready.get(QUEUE, 0) >= 20

    await _until(gauged)
    active = [s.labels for s in families["gradeflow_alert_active"].samples]
    assert {"queue": QUEUE, "rule": "backlog"} in active

    await _empty(channel)

    async def resolved() -> bool:
        found = (await metrics.get("/v1/alerts")).json()["alerts"]
        return any(a["queue"] == QUEUE and a["rule"] == "backlog" and a["state"] == "resolved" for a in found)

    await _until(resolved)
    await asyncio.sleep(1.5)  # several more passes: nothing more is announced
    events = []
    while (message := await alerts_seen.get(no_ack=True, fail=False)) is not None:
        body = json.loads(message.body)
        if body["queue"] == QUEUE:
            assert message.message_id and message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
            events.append((message.type, body["rule"], body["state"]))
    assert events == [("alert.raised", "backlog", "raised"), ("alert.resolved", "backlog", "resolved")]
    await publisher.close()


async def test_recent_timings_come_from_the_consumers_telemetry(
    metrics: httpx.AsyncClient, infra: Infra
) -> None:
    now = datetime.now(UTC)
    message_id = str(uuid.uuid4())
    job = JobObserved(
        queue=QUEUE,
        message_id=message_id,
        message_type="grading.started",
        published_at=now - timedelta(seconds=3),
        started_at=now - timedelta(seconds=1),
        finished_at=now,
        outcome="retried",
        attempt=2,
        error="TimeoutError: handler exceeded its time limit",
    )
    report = JobsObserved(jobs=(job,))
    publisher = Publisher(infra.amqp_url)
    await publisher.connect()
    envelope = Envelope.for_event(report)
    await publisher.publish(
        message_for(
            report.model_dump_json().encode(),
            envelope,
            {**envelope.headers(), H_PUBLISHED_AT: now.isoformat()},
        ),
        METRICS_TELEMETRY.routing_key,
    )
    await publisher.close()

    async def listed() -> bool:
        found = (await metrics.get(f"/v1/queues/{QUEUE}/timings", params={"limit": 50})).json()["timings"]
        return any(t["message_id"] == message_id for t in found)

    await _until(listed)
    [timing] = [
        t
        for t in (await metrics.get(f"/v1/queues/{QUEUE}/timings")).json()["timings"]
        if t["message_id"] == message_id
    ]
    assert timing["wait_ms"] == pytest.approx(2000) and timing["processing_ms"] == pytest.approx(1000)
    assert (timing["outcome"], timing["attempt"]) == ("retried", 2) and "TimeoutError" in timing["error"]
    assert (await metrics.get("/v1/queues/no.such-queue")).status_code == 404


async def test_history_is_thinned_to_one_sample_a_minute_then_expired(infra: Infra) -> None:
    engine = make_engine(infra.database_url("metrics"), "metrics", 2)
    sessions = make_sessions(engine)
    queue = f"test.history-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    times = [now - timedelta(minutes=90, seconds=5 * i) for i in range(6)]  # within one old minute
    times += [now - timedelta(seconds=5 * i) for i in range(3)]  # recent: kept as taken
    times += [now - timedelta(days=8)]  # past the retention
    row = {"ready": 1, "unacked": 0, "consumers": 1, "dead_letters": 0, "throughput_per_min": 1.0}
    try:
        async with sessions.begin() as session:
            store = SqlMetricsStore(session)
            await store.add_samples([{"queue": queue, "at": t, **row, "health_score": 100} for t in times])
            await store.prune(now - timedelta(hours=1), now - timedelta(days=7), now - timedelta(days=1))
            kept = [s.at for s in await store.samples(queue, now - timedelta(days=30))]
        old = [t for t in kept if t < now - timedelta(hours=1)]
        assert len(old) == 1 and old[0] == max(times[:6]), "the last of the old minute"
        assert len(kept) == 4 and now - timedelta(days=8) not in kept
    finally:
        await engine.dispose()

"""`/metrics` on every service, scraped as Prometheus would: each parses with prometheus_client's
own parser and holds the HTTP histogram, the depth of each queue the service consumes and the
latency histograms of its consumers; the metrics service adds every queue's depth, wait and
processing quantiles and health."""

import asyncio
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gradeflow_tools.stack import Stack
from tests.support.api import CORRECT, classroom
from tests.support.waiting import wait_graded

pytestmark = pytest.mark.e2e
CONSUMES = {
    "gateway": "gateway.submission-graded",
    "grader": "grader.submissions",
    "notifier": "notifier.grades",
    "metrics": "metrics.telemetry",
}


async def _scrape(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.get(f"{url}/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {f.name: f for f in text_string_to_metric_families(r.text)}


def _labels(family: Any, name: str | None = None) -> list[dict[str, str]]:
    return [s.labels for s in family.samples if name is None or s.name == name]


async def test_every_service_exports_its_queues_depth_and_latency(
    ops_gateway: httpx.AsyncClient, ops_stack: Stack
) -> None:
    room = await classroom(ops_gateway, students=2)
    sent = {}
    for _, auth in room.students:
        body = {"assignment_id": room.assignment_id, "language": "python", "source": CORRECT}
        r = await ops_gateway.post("/v1/submissions", json=body, headers=auth)
        sent[r.json()["id"]] = auth
    await wait_graded(ops_gateway, sent)
    await asyncio.sleep(1)  # the notifier's grade and the telemetry are consumed meanwhile

    for service, queue in CONSUMES.items():
        # Every message handled: each queue the service consumes is read back empty from the broker
        # (a telemetry batch may still be on its way for a moment).
        for _ in range(50):
            families = await _scrape(ops_stack.config.url(service))
            depth = {s.labels["queue"]: s.value for s in families["gradeflow_queue_messages_ready"].samples}
            if depth.get(queue) == 0:
                break
            await asyncio.sleep(0.2)
        assert depth.get(queue) == 0, (service, depth)
        consumers = {s.labels["queue"]: s.value for s in families["gradeflow_queue_consumers"].samples}
        assert consumers.get(queue) == 1, (service, consumers)
        assert "http_server_request_duration_seconds" in families, service
        done = _labels(
            families["gradeflow_consumer_processing_seconds"], "gradeflow_consumer_processing_seconds_count"
        )
        assert {"queue": queue, "outcome": "processed"} in done, (service, done)
        if service != "metrics":  # telemetry carries no publication time of its own
            waits = _labels(
                families["gradeflow_consumer_wait_seconds"], "gradeflow_consumer_wait_seconds_bucket"
            )
            assert any(w["queue"] == queue for w in waits), service

    metrics_url = ops_stack.config.url("metrics")
    for _ in range(100):  # the monitor's first pass
        families = await _scrape(metrics_url)
        waits = [
            s
            for s in families["gradeflow_queue_wait_seconds"].samples
            if s.labels["queue"] == "grader.submissions" and s.labels["window"] == "5m"
        ]
        if waits:
            break
        await asyncio.sleep(0.2)
    assert {s.labels["quantile"] for s in waits} == {"0.5", "0.95", "0.99"} and all(
        s.value >= 0 for s in waits
    )
    every = {s.labels["queue"] for s in families["gradeflow_queue_messages_ready"].samples}
    assert set(CONSUMES.values()) <= every and "notifier.course-events" in every
    assert {s.labels["queue"] for s in families["gradeflow_queue_health_score"].samples} == every
    processing = {s.labels["queue"] for s in families["gradeflow_queue_processing_seconds"].samples}
    assert {"grader.submissions", "gateway.submission-graded", "notifier.grades"} <= processing

"""Every service's `/metrics` in memory: it parses with prometheus_client's parser, and a request's
duration is recorded under its route's template and status (never its path, which would make a
series per object), a refused one too."""

import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from metrics.app import create_app
from metrics.settings import MetricsSettings
from tests.support.fakes import RecordingPublisher


async def test_requests_are_measured_by_route_template_and_status() -> None:
    settings = MetricsSettings(
        database_url="postgresql+asyncpg://metrics:unused@127.0.0.1:1/none",
        environment="test",
        auth_secret="unit-test-secret-0123456789abcdef",
    )
    app = create_app(settings, publisher=RecordingPublisher())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    queue = f"q-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get(f"/v1/queues/{queue}")).status_code == 401
        assert (await client.get(f"/no-such-path-{queue}")).status_code == 404
        scraped = await client.get("/metrics")
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(scraped.text)}
    counts = [
        s.labels
        for s in families["http_server_request_duration_seconds"].samples
        if s.name.endswith("_count") and s.value > 0
    ]
    assert {
        "http_request_method": "GET",
        "http_route": "/v1/queues/{queue}",
        "http_response_status_code": "401",
    } in counts
    assert not any(queue in labels["http_route"] for labels in counts), "no series per path"
    assert any(
        labels["http_route"] == "unmatched" and labels["http_response_status_code"] == "404"
        for labels in counts
    )
    assert "process_resident_memory_bytes" in families

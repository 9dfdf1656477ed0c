"""The Grafana dashboard in deploy/grafana: valid JSON with unique panel ids, every panel on the
Prometheus data source, and every metric it queries one the services really export (the shared
histograms, and the metrics service's gauges as its `/metrics` builds them from a queue report)."""

import json
import re
from typing import Any

from gradeflow_shared import prometheus
from metrics.handlers.http.gauges import queue_gauges
from tests.support.infra import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "gradeflow-queues.json"
NAME = re.compile(r"\b((?:gradeflow|http_server)_[a-z_]+)")


def _report() -> dict[str, Any]:
    times = {"avg": 1.0, "p50": 1.0, "p95": 2.0, "p99": 3.0}
    window = {
        "throughput_per_min": 1.0,
        "failure_rate": 0.0,
        "wait_ms": times,
        "processing_ms": times,
        "total_ms": times,
    }
    return {
        "queue": "grader.submissions",
        "depth": 1,
        "unacked": 0,
        "consumers": 1,
        "retrying": 0,
        "dead_letters": 0,
        "health": {"score": 100},
        "windows": {"1m": window, "5m": window, "1h": window},
    }


async def _exported() -> set[str]:
    names = set()
    for family in await queue_gauges(lambda: [_report()], lambda: {("grader.submissions", "backlog")})():
        names.add(family.name)
    for metric in (prometheus.HTTP_DURATION, prometheus.PROCESSING, prometheus.WAIT, prometheus.MESSAGES):
        for family in metric.collect():
            names.add(family.name)
    return names


async def test_the_dashboard_queries_only_what_the_services_export() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)) and len(ids) >= 10
    exported = await _exported()
    used = set()
    for panel in dashboard["panels"]:
        assert panel["datasource"]["type"] == "prometheus", panel["title"]
        for target in panel["targets"]:
            for name in NAME.findall(target["expr"]):
                # A histogram's series are its name with _bucket, _count or _sum; a counter's _total.
                base = re.sub(r"_(bucket|count|sum|total)$", "", name)
                assert base in exported or name in exported, f"{panel['title']}: {name} is not exported"
                used.add(base)
    assert {
        "gradeflow_queue_messages_ready",
        "gradeflow_queue_wait_seconds",
        "gradeflow_alert_active",
    } <= used

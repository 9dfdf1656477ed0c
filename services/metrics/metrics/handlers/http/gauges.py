"""The per-queue gauges of the metrics service's `/metrics`, from the monitor's last pass: what an
autoscaler (KEDA's Prometheus scaler) or a Grafana dashboard reads."""

from collections.abc import Callable
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from gradeflow_shared.prometheus import Gauges

QUANTILES = {"p50": "0.5", "p95": "0.95", "p99": "0.99"}


def queue_gauges(
    latest: Callable[[], list[dict[str, Any]]], active: Callable[[], set[tuple[str, str]]]
) -> Gauges:
    async def collect() -> list[Metric]:
        def gauge(name: str, doc: str, *labels: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"gradeflow_queue_{name}", doc, labels=["queue", *labels])

        ready = gauge("messages_ready", "Messages ready in the queue.")
        unacked = gauge("messages_unacked", "Messages delivered and not yet acknowledged.")
        consumers = gauge("consumers", "Consumers of the queue.")
        retrying = gauge("messages_retrying", "Messages waiting in the queue's retry tiers.")
        dead = gauge("dead_letters", "Messages in the queue's dead-letter queue.")
        throughput = gauge("throughput_per_minute", "Jobs done a minute over the window.", "window")
        failure = gauge("failure_ratio", "Failed attempts over all attempts in the window.", "window")
        times = {
            kind: gauge(
                f"{kind}_seconds", f"{kind.capitalize()} time of the queue's jobs.", "window", "quantile"
            )
            for kind in ("wait", "processing", "total")
        }
        score = gauge("health_score", "0 (a threshold crossed) to 100 (every reading at zero).")
        for r in latest():
            q = r["queue"]
            for family, value in (
                (ready, r["depth"]),
                (unacked, r["unacked"]),
                (consumers, r["consumers"]),
                (retrying, r["retrying"]),
                (dead, r["dead_letters"]),
                (score, r["health"]["score"]),
            ):
                if value is not None:
                    family.add_metric([q], value)
            for window, w in r["windows"].items():
                throughput.add_metric([q, window], w["throughput_per_min"])
                if w["failure_rate"] is not None:
                    failure.add_metric([q, window], w["failure_rate"])
                for kind, family in times.items():
                    for name, quantile in QUANTILES.items():
                        ms = w[f"{kind}_ms"][name]
                        if ms is not None:
                            family.add_metric([q, window, quantile], ms / 1000)
        alerts = GaugeMetricFamily(
            "gradeflow_alert_active",
            "1 while the queue's alert on the rule is raised.",
            labels=["queue", "rule"],
        )
        for queue, rule in sorted(active()):
            alerts.add_metric([queue, rule], 1)
        return [
            ready,
            unacked,
            consumers,
            retrying,
            dead,
            throughput,
            failure,
            *times.values(),
            score,
            alerts,
        ]

    return collect

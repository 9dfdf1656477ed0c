"""The Kubernetes manifests, validated by parsing (no cluster here): every kustomize resource
exists, every Deployment has real probes, resources, a grace period longer than the service's
shutdown deadline, and autoscalers watch queues the topology really declares."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from gradeflow_shared.settings import ServiceSettings
from gradeflow_shared.topology import ROUTES
from tests.deploy.test_compose import SETTINGS
from tests.support.infra import ROOT

K8S = ROOT / "deploy" / "k8s"


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _base() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())
    return [doc for res in kustomization["resources"] for doc in _docs(K8S / "base" / res)]


def _kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _base() if d["kind"] == kind}


def test_every_file_is_listed_in_the_kustomization() -> None:
    listed = set(yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())["resources"])
    on_disk = {str(p.relative_to(K8S / "base")) for p in (K8S / "base").rglob("*.yaml")}
    assert on_disk - {"kustomization.yaml"} == listed


@pytest.mark.parametrize("name", SETTINGS)
def test_deployment_is_probed_limited_and_drains_in_time(name: str) -> None:
    deployment = _kind("Deployment")[name]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    port = SETTINGS[name].model_fields["http_port"].default
    assert container["ports"][0]["containerPort"] == port
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    shutdown = ServiceSettings.model_fields["graceful_timeout_seconds"].default
    assert pod["terminationGracePeriodSeconds"] > shutdown
    assert name in _kind("PodDisruptionBudget")
    assert _kind("Job")[f"{name}-migrate"]["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_gateway_scales_on_cpu_and_consumers_on_queue_depth() -> None:
    hpa = _kind("HorizontalPodAutoscaler")["gateway"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    queues = {r.queue for r in ROUTES}
    scaled = _kind("ScaledObject")
    assert {"grader", "notifier"} <= set(scaled)
    for obj in scaled.values():
        trigger = obj["spec"]["triggers"][0]
        assert trigger["type"] == "rabbitmq"
        assert trigger["metadata"]["queueName"] in queues

"""compose.yaml cannot run here (no Docker engine): parse it and check that its services, ports
and environment names match the services' settings classes and Dockerfiles."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from gateway.settings import GatewaySettings
from grader.settings import GraderSettings
from metrics.settings import MetricsSettings
from notifier.settings import NotifierSettings
from tests.support.infra import ROOT

SETTINGS: dict[str, type[BaseSettings]] = {
    "gateway": GatewaySettings,
    "grader": GraderSettings,
    "notifier": NotifierSettings,
    "metrics": MetricsSettings,
}
# Read by libraries or commands rather than the settings classes.
OTHER_KNOWN = {"ADMIN_DATABASE_URL"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def _env_names(service: dict[str, Any]) -> set[str]:
    env = service.get("environment", {})
    return set(env) if isinstance(env, dict) else {e.split("=", 1)[0] for e in env}


def test_compose_has_broker_database_and_the_four_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"rabbitmq", "postgres", *SETTINGS} <= set(services)
    assert "management" in services["rabbitmq"]["image"]


def test_every_published_port_is_bound_to_loopback(compose: dict[str, Any]) -> None:
    published = [p for service in compose["services"].values() for p in service.get("ports", ())]
    assert published and all(p.startswith("127.0.0.1:") for p in published), published


@pytest.mark.parametrize("name", SETTINGS)
def test_service_port_and_environment_match_its_settings(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    fields = {f.upper() for f in SETTINGS[name].model_fields}
    env = _env_names(service)
    unknown = {e for e in env if e not in fields and e not in OTHER_KNOWN and not e.startswith("OTEL_")}
    assert not unknown, f"{name}: compose sets variables no setting reads: {unknown}"
    assert {"AMQP_URL", "DATABASE_URL", "HTTP_PORT"} <= env
    port = str(SETTINGS[name].model_fields["http_port"].default)
    assert service["environment"]["HTTP_PORT"] == port
    assert f"127.0.0.1:{port}:{port}" in service["ports"]
    assert ("AUTH_SECRET" in env) == SETTINGS[name].verifies_tokens, "the grader holds no token secret"
    assert f"gradeflow_{name}:" in service["environment"]["DATABASE_URL"], "own role per service"


@pytest.mark.parametrize("name", SETTINGS)
def test_each_service_builds_its_own_image_and_migrates_first(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    build = service["build"]
    text = Path(ROOT / build["dockerfile"]).read_text()
    assert build["args"]["SERVICE"] == name and build["args"]["PORT"] == service["environment"]["HTTP_PORT"]
    assert '--package "gradeflow-${SERVICE}"' in text and "GRADEFLOW_SERVICE=${SERVICE}" in text
    assert (ROOT / "services" / name / "pyproject.toml").read_text().count(f'name = "gradeflow-{name}"') == 1
    # Only the grader's image carries the sandbox and toolchains (and runs as root to start it);
    # the metrics image adds the dashboard's charting library.
    assert build.get("target") == {"grader": "grader", "metrics": "metrics"}.get(name)
    if "target" in build:
        assert f"AS {build['target']}" in text
    assert compose["services"][f"{name}-migrate"]["build"] == build
    migrate = compose["services"][f"{name}-migrate"]
    assert migrate["command"] == ["migrate"]
    assert service["depends_on"][f"{name}-migrate"]["condition"] == "service_completed_successfully"


def _k8s(kind: str, name: str) -> dict[str, Any]:
    folder = ROOT / "deploy" / "k8s" / "base" / name
    docs = [d for p in folder.glob("*.yaml") for d in yaml.safe_load_all(p.read_text()) if d]
    return next(d for d in docs if d["kind"] == kind)


@pytest.mark.parametrize("name", SETTINGS)
def test_compose_and_the_manifests_agree(compose: dict[str, Any], name: str) -> None:
    """What must be the same wherever a service runs: its port, the variables its ConfigMap sets
    (where compose sets them too), the redis its replicas share; the grader's CPU, memory and
    seccomp profile (CONCURRENCY follows the CPU in both, set by neither); migrations first."""
    service = compose["services"][name]
    config = _k8s("ConfigMap", name)["data"]
    assert config["HTTP_PORT"] == service["environment"]["HTTP_PORT"]
    fields = {f.upper() for f in SETTINGS[name].model_fields}
    assert set(config) - {"OTEL_SERVICE_NAME"} <= fields, "the ConfigMap sets only real settings"
    assert ("REDIS_URL" in config) == ("REDIS_URL" in service["environment"])
    pod = _k8s("Deployment", name)["spec"]["template"]["spec"]
    assert [c["args"] for c in pod["initContainers"]] == [["migrate"]]
    assert "CONCURRENCY" not in config and "CONCURRENCY" not in service["environment"]
    if name == "grader":
        limits = pod["containers"][0]["resources"]["limits"]
        assert float(service["cpus"]) == float(limits["cpu"])
        assert service["mem_limit"].upper() == limits["memory"].removesuffix("i").upper()
        profile = pod["securityContext"]["seccompProfile"]["localhostProfile"]
        assert f"seccomp=deploy/k8s/node/{Path(profile).name}" in service["security_opt"]
        assert service["cap_add"] == pod["containers"][0]["securityContext"]["capabilities"]["add"]

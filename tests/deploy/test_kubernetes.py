"""The Kubernetes manifests as a cluster would take them: every overlay rendered by kustomize (the
one built into kubectl), validated strictly against the Kubernetes 1.29-1.31 schemas
(kubernetes-validate) and KEDA's CRDs (cloudcoil's KEDA models), checked by checkov with every
remaining failure waived in deploy/k8s/checkov-waivers.yaml; then what validators cannot see: Pod
Security, the shutdown budget, the grader's memory formula, the database connection budget, and
autoscalers that see the real backlog."""

import configparser
import json
import math
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from cloudcoil.models.keda import v1alpha1 as keda

from bench import capacity
from gradeflow_shared.settings import ServiceSettings
from gradeflow_shared.topology import ROUTES
from grader.domain.capacity import memory_needed_mb
from tests.deploy.test_compose import SETTINGS
from tests.support.infra import ROOT

K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("overlays/prod", "overlays/dev", "bootstrap")
KUBERNETES_VERSIONS = ("1.29", "1.30", "1.31")
CHECKOV = "checkov==3.3.30"
FLUSH_SECONDS = 10  # the outbox's last flush and the connections' close, after the drains
# Connections each replica of a service holds straight to PostgreSQL, beside its pool: the live
# feeds' LISTEN (gateway/app.py: submissions and runs; notifier/app.py: the inbox).
LISTENERS = {"gateway": 2, "grader": 0, "notifier": 1, "metrics": 0}

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl renders the overlays")


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    out = subprocess.run(
        ["kubectl", "kustomize", str(K8S / overlay)], capture_output=True, text=True, check=True
    )
    return tuple(d for d in yaml.safe_load_all(out.stdout) if d)


def _kind(kind: str, overlay: str = "overlays/prod") -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in rendered(overlay) if d["kind"] == kind}


def _pods(overlay: str = "overlays/prod") -> dict[str, dict[str, Any]]:
    """Every pod template: Deployments' and Jobs', by workload name."""
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]
        for d in rendered(overlay)
        if d["kind"] in ("Deployment", "Job")
    }


def _env(name: str) -> dict[str, str]:
    """What a service's ConfigMaps set."""
    maps = _kind("ConfigMap")
    return {**maps["gradeflow-common"]["data"], **maps[name]["data"]}


def test_every_file_is_listed_in_its_kustomization() -> None:
    for folder in ("base", "bootstrap"):
        listed = set(yaml.safe_load((K8S / folder / "kustomization.yaml").read_text())["resources"])
        on_disk = {str(p.relative_to(K8S / folder)) for p in (K8S / folder).rglob("*.yaml")}
        assert on_disk - {"kustomization.yaml"} == listed


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_validates_strictly(overlay: str, version: str) -> None:
    errors, unchecked = [], []
    for doc in rendered(overlay):
        if doc["apiVersion"].startswith("keda.sh/"):
            model = getattr(keda, doc["kind"]).model_validate(doc)
            # The models ignore fields they do not know: what does not come back was unknown.
            if model.model_dump(mode="json", by_alias=True, exclude_unset=True) != doc:
                errors.append(f"{doc['kind']}/{doc['metadata']['name']}: fields KEDA does not know")
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError:
            unchecked.append(doc["kind"])
    assert errors == []
    assert unchecked == []


def test_keda_validation_refuses_an_unknown_field() -> None:
    """The round trip above can fail: a misspelt trigger field does not come back."""
    doc = json.loads(json.dumps(_kind("ScaledObject")["grader"]))
    doc["spec"]["pollingIntervall"] = 5
    model = keda.ScaledObject.model_validate(doc)
    assert model.model_dump(mode="json", by_alias=True, exclude_unset=True) != doc


def _checkov_failures(manifests: list[Path]) -> set[tuple[str, str]]:
    files = [arg for manifest in manifests for arg in ("-f", str(manifest))]
    command = ["uv", "tool", "run", "--from", CHECKOV, "checkov", *files]
    out = subprocess.run(
        [*command, "--framework", "kubernetes", "-o", "json", "--quiet", "--compact"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.stdout, out.stderr[-2000:]
    report = json.loads(out.stdout)
    reports = report if isinstance(report, list) else [report]
    return {(c["check_id"], c["resource"]) for r in reports for c in r["results"]["failed_checks"]}


@pytest.mark.skipif(shutil.which("uv") is None, reason="checkov is run from the registry with uv")
def test_checkov_finds_nothing_unwaived(tmp_path: Path) -> None:
    waivers = yaml.safe_load((K8S / "checkov-waivers.yaml").read_text())
    waived = {(w["check"], resource) for w in waivers for resource in w["resources"]}
    assert all(len(w["why"]) > 40 for w in waivers), "each waiver says why"
    manifests = []
    for overlay in OVERLAYS:
        manifests.append(tmp_path / f"{overlay.replace('/', '-')}.yaml")
        manifests[-1].write_text(yaml.safe_dump_all(rendered(overlay)))
    failures = _checkov_failures(manifests)
    print(f"checkov: {len(failures)} failed checks, all waived" if failures <= waived else "")
    assert failures - waived == set(), "unwaived checkov failures"
    assert waived - failures == set(), "waivers that no longer answer a failure"


RESTRICTED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
}  # fmt: skip
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}  # fmt: skip


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def _baseline_problems(pod: dict[str, Any], annotations: dict[str, str]) -> list[str]:
    problems = []
    if any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")):
        problems.append("host namespaces")
    if any("hostPath" in v for v in pod.get("volumes", [])):
        problems.append("hostPath volume")
    for c in _containers(pod):
        sc = c.get("securityContext", {})
        if sc.get("privileged"):
            problems.append(f"{c['name']}: privileged")
        if set(sc.get("capabilities", {}).get("add", [])) - BASELINE_CAPABILITIES:
            problems.append(f"{c['name']}: capabilities beyond baseline")
        if any(p.get("hostPort") for p in c.get("ports", [])):
            problems.append(f"{c['name']}: hostPort")
    for sc in [pod.get("securityContext", {}), *(c.get("securityContext", {}) for c in _containers(pod))]:
        if sc.get("seccompProfile", {}).get("type") == "Unconfined":
            problems.append("seccomp Unconfined")
    if any(v == "unconfined" for k, v in annotations.items() if k.startswith("container.apparmor")):
        problems.append("AppArmor unconfined")
    return problems


def _restricted_problems(pod: dict[str, Any]) -> list[str]:
    problems = _baseline_problems(pod, {})
    pod_sc = pod.get("securityContext", {})
    if set(v_type for v in pod.get("volumes", []) for v_type in v if v_type != "name") - RESTRICTED_VOLUMES:
        problems.append("volume types beyond restricted")
    for c in _containers(pod):
        sc = {**pod_sc, **c.get("securityContext", {})}
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{c['name']}: allowPrivilegeEscalation")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []):
            problems.append(f"{c['name']}: capabilities not dropped")
        if set(sc.get("capabilities", {}).get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{c['name']}: capabilities added")
        if sc.get("runAsNonRoot") is not True or sc.get("runAsUser") == 0:
            problems.append(f"{c['name']}: may run as root")
        if sc.get("seccompProfile", {}).get("type") not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{c['name']}: no seccomp profile")
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_but_the_grader_meets_pod_security_restricted(overlay: str) -> None:
    problems = {name: _restricted_problems(pod) for name, pod in _pods(overlay).items() if name != "grader"}
    assert problems and all(not p for p in problems.values()), problems


def test_the_grader_meets_baseline_with_its_own_profiles() -> None:
    grader = _kind("Deployment")["grader"]["spec"]["template"]
    assert _baseline_problems(grader["spec"], grader["metadata"]["annotations"]) == []
    assert grader["spec"]["securityContext"]["seccompProfile"]["type"] == "Localhost"
    profile = grader["spec"]["securityContext"]["seccompProfile"]["localhostProfile"]
    assert (K8S / "node" / Path(profile).name).is_file()
    apparmor = grader["metadata"]["annotations"]["container.apparmor.security.beta.kubernetes.io/grader"]
    assert apparmor == "localhost/gradeflow-grader"
    assert "profile gradeflow-grader " in (K8S / "node" / "gradeflow-grader.apparmor").read_text()
    namespace = _kind("Namespace")["gradeflow"]["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "baseline"
    assert namespace["pod-security.kubernetes.io/warn"] == "restricted"


def test_only_the_services_that_check_tokens_get_the_signing_secret() -> None:
    """Secrets by reference: each Deployment reads its own Secret only, and none mounts a token."""
    for name, pod in _pods().items():
        if name not in SETTINGS:
            continue
        refs = {
            ref["secretRef"]["name"]
            for c in _containers(pod)
            for ref in c.get("envFrom", [])
            if "secretRef" in ref
        }
        assert refs == {name}
        assert pod["automountServiceAccountToken"] is False
        assert pod["serviceAccountName"] == name


def _seconds(value: str | None, default: float) -> float:
    return float(value) if value is not None else default


@pytest.mark.parametrize("name", SETTINGS)
def test_shutdown_fits_the_grace_period_and_lets_the_longest_work_finish(name: str) -> None:
    """preStop's pause, then the HTTP drain and the consumers' drain (GRACEFUL_TIMEOUT_SECONDS each),
    then the last flush: within terminationGracePeriodSeconds. The grader's drain covers the longest
    a grading may take (HANDLER_TIMEOUT_SECONDS), so scaling in never cancels one."""
    pod = _pods()[name]
    container = next(c for c in pod["containers"] if c["name"] == name)
    env = _env(name)
    fields = ServiceSettings.model_fields
    graceful = _seconds(env.get("GRACEFUL_TIMEOUT_SECONDS"), fields["graceful_timeout_seconds"].default)
    handler = _seconds(env.get("HANDLER_TIMEOUT_SECONDS"), fields["handler_timeout_seconds"].default)
    pause = float(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    needed = pause + 2 * graceful + FLUSH_SECONDS
    print(f"{name}: {pause:.0f} + 2 x {graceful:.0f} + {FLUSH_SECONDS} = {needed:.0f} s")
    assert pod["terminationGracePeriodSeconds"] >= needed
    if name == "grader":
        assert graceful >= handler


@pytest.mark.parametrize("name", SETTINGS)
def test_probes_have_time_for_their_checks(name: str) -> None:
    container = next(c for c in _pods()[name]["containers"] if c["name"] == name)
    port = SETTINGS[name].model_fields["http_port"].default
    assert container["ports"][0]["containerPort"] == port
    assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    # /health/ready asks the broker and the database, each within 2 s.
    assert container["readinessProbe"]["timeoutSeconds"] > 2
    assert container["livenessProbe"]["timeoutSeconds"] >= 2
    assert (
        {"cpu", "memory"} <= set(container["resources"]["requests"]) <= set(container["resources"]["limits"])
    )
    init = {c["name"]: c for c in _pods()[name].get("initContainers", [])}
    assert init["migrate"]["args"] == ["migrate"], "migrations run before the pod serves"


def _quantity_mib(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"Gi": 1024, "Mi": 1, "G": 1e9 / 2**20, "M": 1e6 / 2**20}[unit]


def _cores(text: str) -> float:
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def test_the_grader_pod_holds_its_slots() -> None:
    """CONCURRENCY follows the CPU limit (whole cores); the memory limit holds that many slots at
    their largest limits (grader/domain/capacity.py), so no run can get the pod killed; requests
    equal limits (Guaranteed QoS)."""
    container = next(c for c in _pods()["grader"]["containers"] if c["name"] == "grader")
    resources = container["resources"]
    assert resources["requests"] == resources["limits"]
    assert "CONCURRENCY" not in _env("grader"), "it follows the CPU limit"
    concurrency = max(1, math.floor(_cores(resources["limits"]["cpu"])))
    have = _quantity_mib(resources["limits"]["memory"])
    print(f"grader: {concurrency} slots need {memory_needed_mb(concurrency)} MiB, the pod has {have:.0f}")
    assert have >= memory_needed_mb(concurrency)


def _max_replicas(name: str) -> int:
    if name in (hpa := _kind("HorizontalPodAutoscaler")):
        return int(hpa[name]["spec"]["maxReplicas"])
    if name in (scaled := _kind("ScaledObject")):
        return int(scaled[name]["spec"]["maxReplicaCount"])
    return int(_kind("Deployment")[name]["spec"]["replicas"])


def test_the_database_connections_at_the_autoscalers_maxima_stay_within_budget() -> None:
    """Every replica at its autoscaler's maximum: the pools fit PgBouncer's clients; PgBouncer's
    server connections, the feeds' LISTEN and a migrator per starting pod fit 80 % of PostgreSQL's
    max_connections."""
    conf = (ROOT / "deploy/postgresql/postgresql.conf").read_text()
    max_connections = int(re.search(r"^max_connections\s*=\s*(\d+)", conf, re.M).group(1))  # type: ignore[union-attr]
    bouncer = configparser.ConfigParser()
    bouncer.read(ROOT / "deploy/postgresql/pgbouncer.ini")
    pooled = direct = migrators = 0
    for name, settings in SETTINGS.items():
        env, fields = _env(name), settings.model_fields
        assert env.get("DATABASE_POOLED") == "true", f"{name}'s pool goes through PgBouncer"
        replicas = _max_replicas(name)
        workers = int(env.get("HTTP_WORKERS", fields["http_workers"].default))
        pool = int(env.get("DB_POOL_SIZE", fields["db_pool_size"].default))
        pooled += replicas * workers * pool
        direct += replicas * workers * LISTENERS[name]
        migrators += replicas
    server = int(bouncer["pgbouncer"]["max_db_connections"])
    print(
        f"connections: pools {pooled} (PgBouncer takes {bouncer['pgbouncer']['max_client_conn']}); "
        f"PostgreSQL: PgBouncer {server} + LISTEN {direct} + migrators {migrators} = "
        f"{server + direct + migrators} of {max_connections}"
    )
    assert pooled <= int(bouncer["pgbouncer"]["max_client_conn"])
    assert bouncer["pgbouncer"]["pool_mode"] == "transaction"
    assert server + direct + migrators <= 0.8 * max_connections


def test_autoscalers_see_the_real_backlog_and_own_the_replica_count() -> None:
    queues = {r.queue for r in ROUTES}
    assert _kind("HorizontalPodAutoscaler")["gateway"]["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    scaled = _kind("ScaledObject")
    assert {"grader", "notifier"} <= set(scaled)
    watched = set()
    for obj in scaled.values():
        assert obj["spec"]["pollingInterval"] <= 10
        for trigger in obj["spec"]["triggers"]:
            assert trigger["type"] == "rabbitmq"
            # The management API's count: ready and unacknowledged (amqp sees ready only).
            assert trigger["metadata"]["protocol"] == "http"
            assert trigger["metadata"]["queueName"] in queues
            watched.add(trigger["metadata"]["queueName"])
    assert {"grader.submissions", "grader.runs", "notifier.grades", "notifier.chunks"} <= watched
    for name in ("gateway", "grader", "notifier"):
        assert "replicas" not in _kind("Deployment")[name]["spec"], f"{name}: its autoscaler sets it"


def test_disruption_budgets_keep_capacity() -> None:
    for name in SETTINGS:
        assert _kind("PodDisruptionBudget")[name]["spec"] == {
            "maxUnavailable": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
        }


def test_network_policies_deny_by_default() -> None:
    policies = _kind("NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny
    # The grader (untrusted code) gets the platform's egress and nothing of its own.
    assert "grader" not in policies


def test_the_autoscalers_maxima_hold_the_capacity_model() -> None:
    """At the deadline peak of docs/scaling.md (bench/capacity.py, from the measured figures in
    bench/results), the graders' and gateways' maxima cover what the model needs."""
    report = capacity.model()
    print(
        f"capacity: {report['peak']['submissions_per_second']} submissions/s and "
        f"{report['peak']['runs_per_second']} runs/s need {report['grading']['cores']} grading cores: "
        f"{report['grading']['grader_pods']} grader pods, {report['gateway']['replicas']} gateways"
    )
    grader = next(c for c in _pods()["grader"]["containers"] if c["name"] == "grader")
    assert _cores(grader["resources"]["limits"]["cpu"]) == report["grading"]["grader_pod_cores"]
    assert _max_replicas("grader") >= report["grading"]["grader_pods"]
    assert _max_replicas("gateway") >= report["gateway"]["replicas"]


def test_the_dev_overlay_goes_straight_to_postgresql() -> None:
    """No PgBouncer on a development cluster: every service's own ConfigMap (which wins over the
    common one) says so."""
    maps = _kind("ConfigMap", "overlays/dev")
    assert maps["gradeflow-common"]["data"]["ENVIRONMENT"] == "development"
    assert {name: maps[name]["data"]["DATABASE_POOLED"] for name in SETTINGS} == dict.fromkeys(
        SETTINGS, "false"
    )

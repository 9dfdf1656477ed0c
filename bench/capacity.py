"""The capacity model for 30,000 students at a deadline, from the measured figures in
bench/results (grader.json: submissions a second per language; jobe.json: runs a second per
language; gateway.json, fanout.json, consumers.json, pipeline-scale.json): the peak load, the
cores each part needs, the replicas and what runs out first. Writes bench/results/capacity.json;
docs/scaling.md explains each assumption, and tests/deploy checks the manifests' maxima hold it.

    uv run python -m bench.capacity
"""

import json
import math
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"

STUDENTS = 30_000
SUBMISSIONS_PER_STUDENT = 3  # a deadline's assignment: the first try, fixes, the last one
PEAK_SHARE = 0.10  # of them in the busiest ten minutes, just before the deadline
PEAK_SECONDS = 600
RUNS_PER_SUBMISSION = 5  # "run" buttons and CodeRunner's checks before each submission
STATUS_READS_PER_SUBMISSION = 5  # clients polling a submission's status (SSE needs none)
MIX = {"python": 0.50, "java": 0.25, "javascript": 0.10, "c": 0.10, "cpp": 0.05}
JOBE_NAMES = {"python": "python3", "java": "java", "javascript": "nodejs", "c": "c", "cpp": "cpp"}
TARGET_UTILISATION = 0.7  # headroom for the arrival's bursts within the peak
GRADER_POD_CORES = 2  # deploy/k8s/base/grader: CONCURRENCY 2


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESULTS / name).read_text())
    return data


def model() -> dict[str, Any]:
    grader, jobe = _load("grader.json"), _load("jobe.json")
    gateway, fanout = _load("gateway.json"), _load("fanout.json")
    consumers, scale = _load("consumers.json"), _load("pipeline-scale.json")
    cores_measured = grader["machine"]["cpus"]
    per_second = grader["now"]["submissions_per_second"]
    runs = {r["language"]: r for r in jobe["results"]}

    submits = STUDENTS * SUBMISSIONS_PER_STUDENT * PEAK_SHARE / PEAK_SECONDS
    run_rate = submits * RUNS_PER_SUBMISSION
    languages = {}
    for language, share in MIX.items():
        # Both slots busy on the measuring machine's cores: a core's rate is half of it.
        submit_per_core = per_second[f"{language}, 10 tests, concurrency 2"] / cores_measured
        run_per_core = runs[JOBE_NAMES[language]]["sustained_completed_per_second"] / jobe["machine"]["cpus"]
        cores = share * submits / submit_per_core + share * run_rate / run_per_core
        languages[language] = {
            "submissions_per_core_second": round(submit_per_core, 2),
            "runs_per_core_second": round(run_per_core, 2),
            "cores": round(cores, 2),
        }
    grading_cores = sum(v["cores"] for v in languages.values())
    graders = math.ceil(grading_cores / TARGET_UTILISATION / GRADER_POD_CORES)

    arrival = gateway["gateway"]["arrival"]
    requests = submits * (1 + STATUS_READS_PER_SUBMISSION) + run_rate
    gateway_per_core = arrival["per_second"] / arrival["server_cpu_cores"]
    gateway_cores = requests / gateway_per_core

    emails_per_core = fanout["100000"]["emails_per_second"] / fanout["machine"]["cpus"]
    postgres_ms = scale["scale"]["cpu"]["one"]["postgres_ms"]  # a graded submission's share
    rabbitmq_ms = scale["scale"]["cpu"]["one"]["rabbitmq_ms"]
    return {
        "assumptions": {
            "students": STUDENTS,
            "submissions_per_student": SUBMISSIONS_PER_STUDENT,
            "peak_share_in_ten_minutes": PEAK_SHARE,
            "runs_per_submission": RUNS_PER_SUBMISSION,
            "status_reads_per_submission": STATUS_READS_PER_SUBMISSION,
            "language_mix": MIX,
            "target_utilisation": TARGET_UTILISATION,
        },
        "peak": {"submissions_per_second": round(submits, 1), "runs_per_second": round(run_rate, 1)},
        "grading": {
            "languages": languages,
            "cores": round(grading_cores, 1),
            "grader_pods": graders,
            "grader_pod_cores": GRADER_POD_CORES,
        },
        "gateway": {
            "requests_per_second": round(requests),
            "requests_per_core_second": round(gateway_per_core),
            "cores": round(gateway_cores, 2),
            "replicas": max(2, math.ceil(gateway_cores / TARGET_UTILISATION)),
        },
        "notifier": {
            "grade_emails_per_second": round(submits, 1),
            "emails_per_core_second": round(emails_per_core),
            "course_event_to_everyone_seconds_at_provider_100_per_second": STUDENTS / 100,
        },
        "broker": {
            "cores": round((submits + run_rate) * rabbitmq_ms / 1000, 2),
            "raw_persistent_messages_per_second": consumers["aio_pika"]["per_second"],
        },
        "database": {"cores": round((submits + run_rate) * postgres_ms / 1000, 2)},
        "measured_on": grader["machine"],
    }


def main() -> None:
    report = model()
    (RESULTS / "capacity.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""Every service's AsyncAPI document, as it serves it at /asyncapi.json: AsyncAPI 3.0 whose every
reference resolves; what one service consumes another publishes, and what is published someone
consumes; each service's declared publications are the events its code constructs; and
docs/asyncapi/ holds the documents as served (refresh them and docs/messages.md with
UPDATE_DOCS=1)."""

import ast
import fnmatch
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app as gateway_app
from gateway.settings import GatewaySettings
from gradeflow_shared.events import CATALOGUE
from grader.app import create_app as grader_app
from grader.settings import GraderSettings
from metrics.app import create_app as metrics_app
from metrics.settings import MetricsSettings
from notifier.app import create_app as notifier_app
from notifier.settings import NotifierSettings
from tests.support.fakes import RecordingPublisher

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs" / "asyncapi"
UNUSED_DB = "postgresql+asyncpg://x:unused@127.0.0.1:1/none"
COMMON = {
    "environment": "test",
    "auth_secret": "asyncapi-test-secret-0123456789abcdef",
    "database_url": UNUSED_DB,
}
APPS = {
    "gateway": lambda: gateway_app(GatewaySettings(**COMMON), publisher=RecordingPublisher()),
    "grader": lambda: grader_app(
        GraderSettings(environment="test", database_url=UNUSED_DB), publisher=RecordingPublisher()
    ),
    "notifier": lambda: notifier_app(NotifierSettings(**COMMON), publisher=RecordingPublisher()),
    "metrics": lambda: metrics_app(MetricsSettings(**COMMON), publisher=RecordingPublisher()),
}


async def _documents() -> dict[str, dict[str, Any]]:
    found = {}
    for service, build in APPS.items():
        transport = httpx.ASGITransport(app=build())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            r = await client.get("/asyncapi.json")
        assert r.status_code == 200, (service, r.text)
        found[service] = r.json()
    return found


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _ops(doc: dict[str, Any], action: str) -> set[str]:
    return {
        _resolve(doc, op["channel"]["$ref"])["address"]
        for op in doc["operations"].values()
        if op["action"] == action
    }


async def test_every_document_resolves_and_every_message_has_both_ends() -> None:
    docs = await _documents()
    for service, doc in docs.items():
        assert doc["asyncapi"] == "3.0.0" and doc["info"]["title"] == f"Gradeflow {service}"
        for ref in _refs(doc):
            assert _resolve(doc, ref) is not None, (service, ref)
    sent = {key for doc in docs.values() for key in _ops(doc, "send")}
    received = {key for doc in docs.values() for key in _ops(doc, "receive")}
    for binding in received:
        assert any(fnmatch.fnmatchcase(key, binding) for key in sent), f"nobody publishes {binding}"
    for key in sent:
        assert any(fnmatch.fnmatchcase(key, binding) for binding in received), f"nobody consumes {key}"
    if os.environ.get("UPDATE_DOCS"):
        _write(docs)
    for service, doc in docs.items():
        path = DOCS / f"{service}.json"
        assert path.exists() and json.loads(path.read_text()) == doc, f"{path} is stale: UPDATE_DOCS=1"


@pytest.mark.parametrize("service", list(APPS))
def test_a_service_declares_every_event_its_code_constructs(service: str) -> None:
    names = {e.__name__ for e in CATALOGUE}
    constructed = set()
    for path in (ROOT / "services" / service / service).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
                constructed.add(node.func.id)
    module = __import__(f"{service}.handlers.messages", fromlist=["PUBLISHES"])
    declared = {e.__name__ for e in module.PUBLISHES}
    assert constructed - {"JobObserved", "JobsObserved"} <= declared, constructed - declared


def _write(docs: dict[str, dict[str, Any]]) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    for service, doc in docs.items():
        (DOCS / f"{service}.json").write_text(json.dumps(doc, indent=2) + "\n")
    rows = []
    for event in CATALOGUE:
        if event.type == "telemetry.job":
            continue  # an item of telemetry.jobs, never a message of its own
        publishers = sorted(s for s, d in docs.items() if event.type in _ops(d, "send"))
        consumers = sorted(
            f"{s} (`{op['summary'].split('`')[1]}`)"
            for s, d in docs.items()
            for op in d["operations"].values()
            if op["action"] == "receive"
            and fnmatch.fnmatchcase(event.type, _resolve(d, op["channel"]["$ref"])["address"])
        )
        summary = " ".join((event.__doc__ or "").strip().split("\n\n")[0].split())
        rows.append(
            f"| `{event.type}` v{event.version} | {', '.join(publishers)} | {', '.join(consumers)} | {summary} |"
        )
    (ROOT / "docs" / "messages.md").write_text(
        "# Messages: who publishes what, who consumes it\n\n"
        "Generated from the services' AsyncAPI documents (each serves its own at `/asyncapi.json`;\n"
        "the files are in [asyncapi/](asyncapi/)) by `UPDATE_DOCS=1 uv run pytest tests/test_asyncapi.py`;\n"
        "the test fails when this page or the documents fall behind the code.\n\n"
        "Every message is published to the `gradeflow.events` topic exchange with its type as routing key,\n"
        "persistent, with a message id and the envelope's headers (schema version, occurred-at,\n"
        "published-at, W3C trace context). A consumer's queue has retry tiers and a dead-letter queue.\n\n"
        "| message | published by | consumed by (queue) | what it says |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n"
    )

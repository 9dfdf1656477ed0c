"""One submission, one trace: with the four services as processes exporting to an OTLP receiver
on 127.0.0.1, the gateway's request, the outbox's publish, the grader's run, the gateway's
read-model update and the notifier's delivery all carry one trace id, each span the child of the
one before it across the broker. The fourth service, metrics, is in no submission's trace: the job
telemetry it consumes is no part of the traces of the jobs it describes."""

import asyncio

import httpx
import pytest
from opentelemetry.trace import SpanKind

from tests.support.api import CORRECT, classroom
from tests.support.otlp import OtlpReceiver, Span
from tests.support.waiting import wait_graded

pytestmark = pytest.mark.e2e
SERVER, PRODUCER, CONSUMER = (k.value + 1 for k in (SpanKind.SERVER, SpanKind.PRODUCER, SpanKind.CONSUMER))


async def test_a_submission_is_one_trace_across_the_services_that_handle_it(
    ops_gateway: httpx.AsyncClient, otlp: OtlpReceiver
) -> None:
    room = await classroom(ops_gateway, students=1)
    _, auth = room.students[0]
    body = {"assignment_id": room.assignment_id, "language": "python", "source": CORRECT}
    r = await ops_gateway.post("/v1/submissions", json=body, headers=auth)
    assert r.status_code == 202, r.text
    await wait_graded(ops_gateway, {r.json()["id"]: auth})

    def request_span() -> Span | None:
        found = [s for s in otlp.named("POST /v1/submissions") if s.service == "gateway" and s.kind == SERVER]
        return found[-1] if found else None

    wanted = {
        ("gateway", "submission.created publish", PRODUCER),
        ("grader", "grader.submissions process", CONSUMER),
        ("grader", "submission.graded publish", PRODUCER),
        ("gateway", "gateway.submission-graded process", CONSUMER),
        ("notifier", "notifier.grades process", CONSUMER),
    }
    spans: list[Span] = []
    for _ in range(150):
        root = request_span()
        if root is not None:
            spans = otlp.trace(root.trace_id)
            if wanted <= {(s.service, s.name, s.kind) for s in spans}:
                break
        await asyncio.sleep(0.1)
    assert root is not None, "the gateway exported its request's span"
    seen = {(s.service, s.name, s.kind) for s in spans}
    assert wanted <= seen, f"missing from the trace: {wanted - seen}"
    by_id = {s.span_id: s for s in spans}

    def parent(service: str, name: str) -> Span:
        [span] = [s for s in spans if (s.service, s.name) == (service, name)]
        return by_id[span.parent_id]

    # Each hop continues the one before: request → publish → grader → publish → both consumers.
    assert parent("grader", "grader.submissions process").name == "submission.created publish"
    assert parent("gateway", "gateway.submission-graded process").name == "submission.graded publish"
    assert parent("notifier", "notifier.grades process").name == "submission.graded publish"
    assert any(s.service == "grader" and s.name.startswith(("SELECT", "INSERT", "UPDATE")) for s in spans), (
        "the database instrumentation's spans are in the trace too"
    )
    assert {s.service for s in spans} == {"gateway", "grader", "notifier"}, "metrics stays out of it"

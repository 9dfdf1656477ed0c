"""A submission travels gateway → grader → notifier → metrics, the four as real processes."""

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from gradeflow_shared.auth import Tokens
from gradeflow_tools.stack import Stack
from tests.support.api import CORRECT, WRONG, classroom
from tests.support.infra import Infra
from tests.support.waiting import wait_graded

pytestmark = pytest.mark.e2e
# The queues of the submission path, each measured by the metrics service.
MEASURED = ("grader.submissions", "gateway.submission-graded", "notifier.grades")


async def _submit(client: httpx.AsyncClient, assignment_id: str, auth: dict[str, str], source: str) -> str:
    body = {"assignment_id": assignment_id, "language": "python", "source": source}
    r = await client.post("/v1/submissions", json=body, headers=auth)
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


async def test_submissions_are_graded_notified_and_measured(
    gateway: httpx.AsyncClient, stack: Stack, infra: Infra
) -> None:
    room = await classroom(gateway, students=4)
    sources = {}
    for i, (_, auth) in enumerate(room.students):
        source = CORRECT if i % 2 == 0 else WRONG
        sources[await _submit(gateway, room.assignment_id, auth, source)] = (source, auth)

    views = await wait_graded(gateway, {sid: auth for sid, (_, auth) in sources.items()})
    for sid, view in views.items():
        if sources[sid][0] == CORRECT:
            assert (view["verdict"], view["score"], view["max_score"]) == ("accepted", 10, 10)
        else:
            # n*n equals the sum only for n=1: the first test passes (weight 1), the rest fail.
            assert (view["verdict"], view["score"]) == ("wrong_answer", 1)
        hidden = [t for t in view["tests"] if t["hidden"]]
        assert hidden and all("stdout" not in t for t in hidden), "a student never sees hidden data"

    for _, auth in room.students:  # the inbox, through the gateway
        inbox: list[dict[str, object]] = []
        for _ in range(100):
            inbox = (await gateway.get("/v1/notifications", headers=auth)).json()["items"]
            if inbox:
                break
            await asyncio.sleep(0.1)
        assert len(inbox) == 1 and inbox[0]["kind"] == "submission.graded"

    queues = {}
    admin = {"Authorization": f"Bearer {Tokens(infra.secret).issue(uuid.uuid4(), admin=True)}"}
    assert (await gateway.get(f"{stack.config.url('metrics')}/v1/queues")).status_code == 401
    student = room.students[0][1]
    assert (await gateway.get(f"{stack.config.url('metrics')}/v1/queues", headers=student)).status_code == 403

    def measured(queues: dict[str, Any]) -> bool:
        """What the metrics service has seen of the path: telemetry arrives within a second of each
        job, consumer counts with its next sample of the broker (every 5 s)."""
        grader = queues["grader.submissions"]
        return (
            all(queues[q]["processed"] >= len(sources) for q in MEASURED)
            and grader["consumers"] >= 1
            and grader["wait_ms"]["p50"] is not None
            and grader["processing_ms"]["p95"] > 0
        )

    for _ in range(100):
        stats = (await gateway.get(f"{stack.config.url('metrics')}/v1/queues", headers=admin)).json()
        queues = {q["queue"]: q for q in stats["queues"]}
        if measured(queues):
            break
        await asyncio.sleep(0.2)
    seen = {q: (queues[q]["processed"], queues[q]["consumers"]) for q in MEASURED}
    assert measured(queues), seen


async def test_submissions_wait_while_the_grader_is_down_and_none_is_lost(
    gateway: httpx.AsyncClient, stack: Stack, infra: Infra
) -> None:
    room = await classroom(gateway, students=10)
    grader = stack.processes["grader"]
    assert grader.stop() is not None  # SIGTERM: graceful stop

    submitted = {}
    for _, auth in room.students:
        for source in (CORRECT, WRONG):
            submitted[await _submit(gateway, room.assignment_id, auth, source)] = auth

    await asyncio.sleep(1.0)
    for sid, auth in list(submitted.items())[:5]:
        view = (await gateway.get(f"/v1/submissions/{sid}", headers=auth)).json()
        assert view["status"] == "queued", "nothing grades while the grader is down"

    grader.start()
    grader.wait_ready()
    views = await wait_graded(gateway, submitted)
    assert len(views) == len(submitted) == 20

    conn = await asyncpg.connect(infra.admin_url)
    try:
        runs = await conn.fetchval(
            "SELECT count(*) FROM grader.runs WHERE submission_id = ANY($1::uuid[])",
            list(submitted),
        )
        results = await conn.fetchval(
            "SELECT count(*) FROM grader.test_results WHERE submission_id = ANY($1::uuid[])",
            list(submitted),
        )
    finally:
        await conn.close()
    assert runs == 20, "each submission graded exactly once"
    assert results == 20 * 5


async def test_the_grader_lists_its_languages_with_versions(gateway: httpx.AsyncClient, stack: Stack) -> None:
    response = await gateway.get(f"{stack.config.url('grader')}/v1/languages")
    assert response.status_code == 200
    languages = {lang["id"]: lang for lang in response.json()}
    assert set(languages) == {"python", "c", "cpp", "javascript", "java", "multi"}
    assert all(lang["version"] not in ("unavailable", "unknown") for lang in languages.values()), languages
    assert "gcc" in languages["c"]["compile_command"] and "node" in languages["javascript"]["run_command"]

"""Ad-hoc runs and the Judge0-compatible API, through the gateway to the real grader and back."""

import asyncio
import base64
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.support.api import login

pytestmark = pytest.mark.e2e
PY_ECHO = "print(input()[::-1])\n"


async def _run_to_completion(
    client: httpx.AsyncClient, auth: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    r = await client.post("/v1/runs", json=body, headers=auth)
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        view = (await client.get(f"/v1/runs/{run_id}", headers=auth)).json()
        if view["status"] == "done":
            return dict(view)
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} not done in 60 s: {view}")


async def test_a_run_returns_output_and_is_judged_when_an_expected_output_is_given(
    gateway: httpx.AsyncClient,
) -> None:
    _, auth = await login(gateway, "runner")
    plain = await _run_to_completion(
        gateway, auth, {"language": "python", "source": PY_ECHO, "stdin": "abc\n"}
    )
    assert (plain["verdict"], plain["stdout"], plain["exit_code"]) == ("accepted", "cba\n", 0)
    assert plain["memory_kb"] > 0 and plain["wall_ms"] > 0

    judged = {"language": "python", "source": PY_ECHO, "stdin": "abc\n", "expected_stdout": "abc\n"}
    assert (await _run_to_completion(gateway, auth, judged))["verdict"] == "wrong_answer"

    broken = await _run_to_completion(gateway, auth, {"language": "c", "source": "int main( {"})
    assert broken["verdict"] == "compilation_error" and "error" in broken["compile_output"]

    unparsable = await _run_to_completion(gateway, auth, {"language": "python", "source": "def f(:\n"})
    assert unparsable["verdict"] == "compilation_error" and "SyntaxError" in unparsable["compile_output"]

    crash = await _run_to_completion(
        gateway, auth, {"language": "c", "source": "int main(){return *(int*)0;}"}
    )
    assert (crash["verdict"], crash["signal"]) == ("runtime_error", 11)


async def test_a_run_is_seen_only_by_who_asked_and_bad_input_names_its_field(
    gateway: httpx.AsyncClient,
) -> None:
    _, owner = await login(gateway, "owner")
    _, other = await login(gateway, "other")
    r = await gateway.post("/v1/runs", json={"language": "python", "source": "print(1)"}, headers=owner)
    assert r.status_code == 202
    assert (await gateway.get(f"/v1/runs/{r.json()['id']}", headers=other)).status_code == 404

    r = await gateway.post("/v1/runs", json={"language": "cobol", "source": "x"}, headers=owner)
    assert r.status_code == 422 and "language" in r.text
    r = await gateway.post(
        "/v1/runs", json={"language": "python", "source": "x", "time_limit_ms": 10**6}, headers=owner
    )
    assert r.status_code == 422 and "time_limit_ms" in r.text


async def test_judge0_clients_work_unchanged(gateway: httpx.AsyncClient) -> None:
    _, auth = await login(gateway, "judge0")
    token = {"X-Auth-Token": auth["Authorization"].removeprefix("Bearer ")}

    languages = (await gateway.get("/judge0/languages")).json()
    assert {lang["id"] for lang in languages} == {50, 54, 62, 63, 71, 89}
    statuses = {s["id"]: s["description"] for s in (await gateway.get("/judge0/statuses")).json()}
    assert statuses[3] == "Accepted" and len(statuses) == 14

    body = {"source_code": PY_ECHO, "language_id": 71, "stdin": "judge\n", "expected_output": "egduj\n"}
    r = await gateway.post("/judge0/submissions?wait=true", json=body, headers=token)
    assert r.status_code == 201, r.text
    result = r.json()
    assert result["status"] == {"id": 3, "description": "Accepted"}
    assert result["stdout"] == "egduj\n" and float(result["time"]) > 0 and result["memory"] > 0

    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in body.items() if isinstance(v, str)}
    r = await gateway.post(
        "/judge0/submissions?base64_encoded=true",
        json={**encoded, "language_id": 71},
        headers=token,
    )
    assert r.status_code == 201 and set(r.json()) == {"token"}
    view = await _judge0_done(gateway, r.json()["token"], token, "?base64_encoded=true&fields=*")
    assert base64.b64decode(view["stdout"]).decode() == "egduj\n" and view["language_id"] == 71

    programs = [
        ("int main(){return *(int*)0;}", 50, 7),  # SIGSEGV
        ("int main(){return 3;}", 50, 11),  # NZEC
        ("#include <cstdlib>\nint main(){std::abort();}", 54, 10),  # SIGABRT
        ("int main(){for(;;);}", 50, 5),  # TLE
        ("int main( {", 50, 6),  # compilation error
    ]
    r = await gateway.post(
        "/judge0/submissions/batch",
        json={
            "submissions": [
                {"source_code": src, "language_id": lang, "cpu_time_limit": 0.5} for src, lang, _ in programs
            ]
        },
        headers=token,
    )
    assert r.status_code == 201, r.text
    tokens = [t["token"] for t in r.json()]
    for t in tokens:
        await _judge0_done(gateway, t, token)
    batch = (await gateway.get(f"/judge0/submissions/batch?tokens={','.join(tokens)}", headers=token)).json()
    assert [s["status"]["id"] for s in batch["submissions"]] == [want for _, _, want in programs]


async def test_judge0_bad_input_is_refused_by_field(gateway: httpx.AsyncClient) -> None:
    _, auth = await login(gateway, "judge0-bad")
    r = await gateway.post(
        "/judge0/submissions", json={"source_code": "x", "language_id": 9999}, headers=auth
    )
    assert r.status_code == 422 and "language_id" in r.text
    r = await gateway.post(
        "/judge0/submissions",
        json={"source_code": "x", "language_id": 71, "callback_url": "http://127.0.0.1:9/"},
        headers=auth,
    )
    assert r.status_code == 422 and "callback_url" in r.text, "an unsupported field is not ignored"
    r = await gateway.post(
        "/judge0/submissions?base64_encoded=true",
        json={"source_code": "@@@", "language_id": 71},
        headers=auth,
    )
    assert r.status_code == 422 and "source_code" in r.text
    assert (
        await gateway.post("/judge0/submissions", json={"source_code": "x", "language_id": 71})
    ).status_code == 401
    many = ",".join(str(uuid.uuid4()) for _ in range(21))
    r = await gateway.get(f"/judge0/submissions/batch?tokens={many}", headers=auth)
    assert r.status_code == 422 and "tokens" in r.text, "a batch is at most 20, as Judge0's"


async def _judge0_done(
    client: httpx.AsyncClient, token: str, auth: dict[str, str], query: str = ""
) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        view = (await client.get(f"/judge0/submissions/{token}{query}", headers=auth)).json()
        if view["status"]["id"] > 2:
            return dict(view)
        await asyncio.sleep(0.1)
    raise AssertionError(f"{token} not done in 60 s")

"""The official Judge0 Python SDK (`judge0` on PyPI), unmodified, against the four services as real
processes: its client is constructed (it reads /languages and /config_info, and /about for the
version that picks its language ids), Python and C programs come back with their stdout and
Accepted, a batch runs, and an endless loop is a Time Limit Exceeded."""

import asyncio
import base64
import io
import zipfile

import httpx
import judge0
import pytest

from gradeflow_tools.stack import Stack
from tests.e2e.conftest import ADMIN
from tests.support.api import login

pytestmark = pytest.mark.e2e

PYTHON = "name = input()\nprint(f'hello, {name}')\n"
C = '#include <stdio.h>\nint main(void) { int a, b; scanf("%d %d", &a, &b); printf("%d\\n", a + b); return 0; }\n'
MAIN_C = '#include <stdio.h>\nint twice(int);\nint main(void) { int n; scanf("%d", &n); printf("%d\\n", twice(n)); }\n'
BOTH_STREAMS = (
    "import sys\nprint('out', flush=True)\nprint('err', file=sys.stderr, flush=True)\nprint('out again')\n"
)


def _client(url: str, token: str) -> judge0.Client:
    # The SDK's base client, pointed at this system, Judge0's X-Auth-Token carrying the token.
    return judge0.Client(
        f"{url}/judge0", headers={"X-Auth-Token": token}, retry_strategy=judge0.MaxWaitTime(60)
    )


def _session(url: str, token: str) -> dict[str, object]:
    client = _client(url, token)
    python = judge0.run(client=client, source_code=PYTHON, language=judge0.PYTHON, stdin="Ada")
    c = judge0.run(client=client, source_code=C, language=judge0.C, stdin="2 40")
    batch = judge0.run(
        client=client,
        submissions=[
            judge0.Submission(source_code=f"print({n} * {n})", language=judge0.PYTHON) for n in range(1, 6)
        ],
    )
    endless = judge0.run(
        client=client, source_code="while True:\n    pass\n", language=judge0.PYTHON, cpu_time_limit=1
    )
    # A multi-file program (language 89): a zip with `compile` and `run` scripts and its sources.
    project = judge0.Filesystem(
        content=[
            judge0.File(name="compile", content="gcc -o prog main.c twice.c\n"),
            judge0.File(name="run", content='./prog "$@"\n'),
            judge0.File(name="main.c", content=MAIN_C),
            judge0.File(name="twice.c", content="int twice(int x) { return 2 * x; }\n"),
        ]
    )
    multi = judge0.run(
        client=client, source_code="", language=judge0.MULTI_FILE, additional_files=project, stdin="21"
    )
    merged = judge0.run(
        client=client, source_code=BOTH_STREAMS, language=judge0.PYTHON, redirect_stderr_to_stdout=True
    )
    averaged = judge0.run(client=client, source_code="print(1)", language=judge0.PYTHON, number_of_runs=3)
    return {
        "multi": multi,
        "merged": merged,
        "averaged": averaged,
        "languages": {lang.id for lang in client.languages},
        "config": client.config,
        "version": client.version,
        "python": python,
        "c": c,
        "batch": batch,
        "endless": endless,
    }


async def test_the_official_judge0_sdk_works_unchanged(gateway: httpx.AsyncClient, stack: Stack) -> None:
    _, auth = await login(gateway, "sdk")
    token = auth["Authorization"].removeprefix("Bearer ")
    seen = await asyncio.wait_for(asyncio.to_thread(_session, stack.config.url("gateway"), token), 240)

    assert {50, 54, 62, 63, 71} <= seen["languages"] and seen["version"] == "1.13.1"  # type: ignore[operator]
    assert seen["config"].max_submission_batch_size == 20 and not seen["config"].enable_network  # type: ignore[attr-defined]
    python, c, endless = seen["python"], seen["c"], seen["endless"]
    assert (python.stdout, python.status) == ("hello, Ada\n", judge0.Status.ACCEPTED), python  # type: ignore[attr-defined]
    assert (c.stdout, c.status) == ("42\n", judge0.Status.ACCEPTED), c  # type: ignore[attr-defined]
    assert python.time is not None and python.memory and python.created_at and python.finished_at  # type: ignore[attr-defined]
    outs = [(s.stdout, s.status) for s in seen["batch"]]  # type: ignore[attr-defined]
    assert outs == [(f"{n * n}\n", judge0.Status.ACCEPTED) for n in range(1, 6)]
    assert endless.status == judge0.Status.TIME_LIMIT_EXCEEDED, endless  # type: ignore[attr-defined]
    multi, merged, averaged = seen["multi"], seen["merged"], seen["averaged"]
    assert (multi.stdout, multi.status) == ("42\n", judge0.Status.ACCEPTED), multi  # type: ignore[attr-defined]
    assert 89 in seen["languages"]  # type: ignore[operator]
    assert (merged.stdout, merged.stderr) == ("out\nerr\nout again\n", None), merged  # type: ignore[attr-defined]
    assert (averaged.stdout, averaged.status) == ("1\n", judge0.Status.ACCEPTED), averaged  # type: ignore[attr-defined]


async def test_what_this_system_does_not_offer_is_refused_by_name(gateway: httpx.AsyncClient) -> None:
    _, auth = await login(gateway, "sdk")
    body = {"source_code": "print(1)", "language_id": 71}
    for field, value in (
        ("enable_network", True),
        ("enable_per_process_and_thread_time_limit", True),
        ("number_of_runs", 21),
        ("compiler_options", "-O3"),  # a Python program takes none
        ("cpu_extra_time", 6),
    ):
        r = await gateway.post("/judge0/submissions", json={**body, field: value}, headers=auth)
        assert r.status_code == 422 and field in r.text, (field, r.text)
    info = (await gateway.get("/judge0/config_info")).json()
    assert (
        info["allowed_languages_for_compile_options"] == ["C (GCC)", "C++ (GCC)"]
        and info["max_number_of_runs"] == 20
    )
    costly = {**body, "number_of_runs": 20, "cpu_time_limit": 10}  # 200 s of CPU in all
    r = await gateway.post("/judge0/submissions", json=costly, headers=auth)
    assert r.status_code == 422 and "number_of_runs" in r.text, r.text
    no_run = {"source_code": "", "language_id": 89}
    r = await gateway.post("/judge0/submissions", json=no_run, headers=auth)
    assert r.status_code == 422 and "additional_files" in r.text and "run" in r.text, r.text
    c = {"source_code": "int main(void) { return 0; }", "language_id": 50}
    for options in ("-fplugin=/tmp/evil.so", "-o /etc/x", "-B/tmp", "-wrapper,/bin/sh"):
        r = await gateway.post("/judge0/submissions", json={**c, "compiler_options": options}, headers=auth)
        assert r.status_code == 422 and "compiler option" in r.text, (options, r.text)
    greeting = '#include <stdio.h>\nint main(int argc, char **argv) { printf("%s %s %d\\n", GREETING, argv[1], argc); return 0; }'
    body = {
        "source_code": greeting,
        "language_id": 50,
        "compiler_options": "-O2 -Wall '-DGREETING=\"hi\"'",
        "command_line_arguments": "'two words' second",
    }
    r = await gateway.post(
        "/judge0/submissions", params={"wait": "true"}, json=body, headers=auth, timeout=60
    )
    assert (r.status_code, r.json().get("stdout")) == (201, "hi two words 3\n"), r.text
    about = await gateway.get("/judge0/about")
    assert about.json()["version"] == "1.13.1"
    assert (await gateway.get("/judge0/languages/71")).json()["source_file"] == "main.py"
    assert (await gateway.get("/judge0/languages/9999")).status_code == 404
    assert (await gateway.post("/judge0/authenticate", headers={"X-Auth-Token": "nope"})).status_code == 401
    assert (await gateway.post("/judge0/authenticate", headers=auth)).status_code == 200
    assert (await gateway.get("/judge0/statistics", headers=auth)).status_code == 403, "admins only"
    admin = (await gateway.post("/v1/auth/dev-login", json={"email": ADMIN, "name": "Ops"})).json()["token"]
    stats = await gateway.get("/judge0/statistics", headers={"Authorization": f"Bearer {admin}"})
    assert stats.status_code == 200 and stats.json()["submissions"]["total"] >= 1, stats.text
    assert {s["status"]["id"] for s in stats.json()["statuses"]} and stats.json()["database"][
        "size_in_bytes"
    ] > 0


async def test_additional_files_reach_the_program_and_an_unsafe_zip_is_refused(
    gateway: httpx.AsyncClient,
) -> None:
    _, auth = await login(gateway, "sdk")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("numbers.txt", "6 7\n")
    body = {
        "source_code": "a, b = map(int, open('numbers.txt').read().split())\nprint(a * b)",
        "language_id": 71,
        "additional_files": base64.b64encode(buffer.getvalue()).decode(),
    }
    r = await gateway.post(
        "/judge0/submissions", params={"wait": "true"}, json=body, headers=auth, timeout=60
    )
    assert r.status_code == 201 and r.json()["stdout"] == "42\n", r.text
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../etc/cron.d/x", "* * * * * root true\n")
    refused = await gateway.post(
        "/judge0/submissions",
        json={**body, "additional_files": base64.b64encode(evil.getvalue()).decode()},
        headers=auth,
    )
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "body.additional_files"


async def test_a_users_submissions_list_by_page_and_a_finished_one_is_deleted(
    gateway: httpx.AsyncClient,
) -> None:
    _, auth = await login(gateway, "lister")
    tokens = []
    for n in range(3):
        body = {"source_code": f"print({n})", "language_id": 71}
        r = await gateway.post(
            "/judge0/submissions", params={"wait": "true"}, json=body, headers=auth, timeout=60
        )
        assert r.status_code == 201 and r.json()["status"]["id"] == 3, r.text
        tokens.append(r.json()["token"])
    first = (await gateway.get("/judge0/submissions", params={"per_page": 2}, headers=auth)).json()
    assert [s["token"] for s in first["submissions"]] == tokens[::-1][:2]
    assert first["meta"] == {
        "current_page": 1,
        "next_page": 2,
        "prev_page": None,
        "total_pages": 2,
        "total_count": 3,
    }
    _, other = await login(gateway, "other")
    assert (await gateway.delete(f"/judge0/submissions/{tokens[0]}", headers=other)).status_code == 404
    deleted = await gateway.delete(f"/judge0/submissions/{tokens[0]}", headers=auth)
    assert deleted.status_code == 200 and deleted.json()["stdout"] == "0\n"
    assert (await gateway.get(f"/judge0/submissions/{tokens[0]}", headers=auth)).status_code == 404
    assert (await gateway.get("/judge0/submissions", headers=auth)).json()["meta"]["total_count"] == 2

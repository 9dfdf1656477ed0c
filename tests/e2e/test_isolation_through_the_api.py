"""Through the gateway's API, in every language: a program that saves its input in every place it
can write and prints what it finds there sees no other test's input — hidden tests' included — and
no student response carries a hidden test's input."""

import json

import httpx
import pytest

from gradeflow_tools.stack import Stack
from tests.support.api import classroom
from tests.support.waiting import wait_graded

pytestmark = pytest.mark.e2e

HIDDEN = ["SECRET-HIDDEN-1", "SECRET-HIDDEN-2"]
VISIBLE = ["VISIBLE-3", "VISIBLE-4"]
# Each prints "FOUND:" and whatever it found; alone in its state, that is all a test prints.
TESTS = [
    {"stdin": f"{s}\n", "expected_stdout": "FOUND:\n", "weight": 1, "hidden": s in HIDDEN}
    for s in HIDDEN + VISIBLE
]
PLACES_C = '{"/tmp/saved", "/dev/shm/saved", "saved", "/box/saved", "/saved"}'
C = (
    "#include <stdio.h>\n#include <string.h>\n"
    "int main(){char s[64]={0}, b[64]; fgets(s, sizeof s, stdin); const char *p[] = " + PLACES_C + ";\n"
    ' printf("FOUND:"); for (int i = 0; i < 5; i++) { FILE *f = fopen(p[i], "r"); if (f) { if (fgets(b, sizeof b, f)) printf("%s|", b); fclose(f); } }\n'
    ' puts(""); for (int i = 0; i < 5; i++) { FILE *f = fopen(p[i], "w"); if (f) { fputs(s, f); fclose(f); } } return 0; }\n'
)
SAVERS = {
    "python": (
        "import os, sys\ns = sys.stdin.read()\nplaces = ['/tmp/saved', '/dev/shm/saved', 'saved', '/box/saved', '/saved', os.path.expanduser('~/s')]\n"
        "found = []\nfor p in places:\n    try: found.append(open(p).read().strip())\n    except OSError: pass\n"
        "for p in places:\n    try: open(p, 'w').write(s)\n    except OSError: pass\nprint('FOUND:' + '|'.join(found))\n"
    ),
    "c": C,
    "cpp": C,
    "javascript": (
        "const fs = require('fs');\nconst s = fs.readFileSync(0, 'utf8');\n"
        "const places = ['/tmp/saved', '/dev/shm/saved', 'saved', '/box/saved', '/saved'];\nconst found = [];\n"
        "for (const p of places) { try { found.push(fs.readFileSync(p, 'utf8').trim()); } catch (e) {} }\n"
        "for (const p of places) { try { fs.writeFileSync(p, s); } catch (e) {} }\nconsole.log('FOUND:' + found.join('|'));\n"
    ),
    "java": (
        "import java.nio.file.*; import java.util.*;\npublic class Main { public static void main(String[] a) throws Exception {\n"
        " String s = new String(System.in.readAllBytes());\n"
        ' String[] places = {"/tmp/saved", "/dev/shm/saved", "saved", "/box/saved", "/saved"}; List<String> found = new ArrayList<>();\n'
        " for (String p : places) { try { found.add(Files.readString(Path.of(p)).trim()); } catch (Exception e) {} }\n"
        " for (String p : places) { try { Files.writeString(Path.of(p), s); } catch (Exception e) {} }\n"
        ' System.out.println("FOUND:" + String.join("|", found)); } }\n'
    ),
}


@pytest.mark.parametrize("language", list(SAVERS))
async def test_no_test_finds_another_tests_input_in_any_language(
    gateway: httpx.AsyncClient, language: str
) -> None:
    room = await classroom(gateway, students=1, tests=TESTS)
    _, student = room.students[0]
    body = {"assignment_id": room.assignment_id, "language": language, "source": SAVERS[language]}
    r = await gateway.post("/v1/submissions", json=body, headers=student)
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    student_view = (await wait_graded(gateway, {sid: student}, timeout=120))[sid]
    teacher_view = (await gateway.get(f"/v1/submissions/{sid}", headers=room.teacher)).json()
    # The teacher sees every test's output: each found nothing, so each is accepted.
    assert [t["stdout"] for t in teacher_view["tests"]] == ["FOUND:\n"] * 4, teacher_view["tests"]
    assert (student_view["verdict"], student_view["score"]) == ("accepted", 4)
    text = json.dumps(student_view)
    assert not any(secret in text for secret in HIDDEN), "a hidden test's input reached the student"


async def test_the_grader_says_how_its_sandbox_is_bounded(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.config.url("grader"), timeout=10) as client:
        ready = (await client.get("/health/ready")).json()
    assert ready["status"] == "ready" and ready["sandbox"] in (
        "cgroup v2 (memory, pids, cpu)",
        "cgroup v1 (memory, pids, cpu, cpuacct)",
    )

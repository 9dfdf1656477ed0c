"""Grading through the public API, in every language: partial credit is the sum of passed weights,
a student never sees a hidden test's data, and a teacher's checker program decides the tests it is
asked to."""

import httpx
import pytest

from tests.support.api import SUM_TESTS, classroom, enrol_new, login
from tests.support.waiting import wait_graded

pytestmark = pytest.mark.e2e

# Right for n < 100 only: passes the three visible tests (weights 1+1+2), fails the two hidden ones.
HALF_RIGHT = {
    "python": "n = int(input())\nprint(n * (n + 1) // 2 if n < 100 else 0)\n",
    "c": '#include <stdio.h>\nint main(){long n; scanf("%ld",&n); printf("%ld\\n", n < 100 ? n*(n+1)/2 : 0);}\n',
    "cpp": "#include <iostream>\nint main(){long n; std::cin >> n; std::cout << (n < 100 ? n*(n+1)/2 : 0) << '\\n';}\n",
    "javascript": "const n = Number(require('fs').readFileSync(0, 'utf8'));\nconsole.log(n < 100 ? n*(n+1)/2 : 0);\n",
    "java": "import java.util.*;\npublic class Main { public static void main(String[] a) {"
    " long n = new Scanner(System.in).nextLong(); System.out.println(n < 100 ? n*(n+1)/2 : 0); } }\n",
}
SPLIT_CHECKER = (
    "#include <stdio.h>\n"
    'int main(int c, char **v){ long n, a, b; FILE *in = fopen(v[1], "r"), *out = fopen(v[2], "r");\n'
    ' if (!in || !out || fscanf(in, "%ld", &n) != 1) return 3;\n'
    ' if (fscanf(out, "%ld %ld", &a, &b) != 2) return 2;\n'
    " return (a > 0 && b > 0 && a + b == n) ? 0 : 1; }\n"
)


@pytest.mark.parametrize("language", list(HALF_RIGHT))
async def test_partial_credit_and_hidden_tests_in_every_language(
    gateway: httpx.AsyncClient, language: str
) -> None:
    room = await classroom(gateway, students=1)
    _, auth = room.students[0]
    body = {"assignment_id": room.assignment_id, "language": language, "source": HALF_RIGHT[language]}
    r = await gateway.post("/v1/submissions", json=body, headers=auth)
    assert r.status_code == 202, r.text
    sid = r.json()["id"]
    view = (await wait_graded(gateway, {sid: auth}))[sid]

    expected_score = sum(t["weight"] for t in SUM_TESTS if not t["hidden"])
    assert (view["verdict"], view["score"], view["max_score"]) == ("wrong_answer", expected_score, 10)
    verdicts = [t["verdict"] for t in sorted(view["tests"], key=lambda t: t["position"])]
    assert verdicts == ["accepted"] * 3 + ["wrong_answer"] * 2
    for test in view["tests"]:
        if test["hidden"]:
            assert not {"stdin", "stdout", "stderr", "expected_stdout"} & set(test), test
        else:
            assert "stdout" in test

    teacher_view = (await gateway.get(f"/v1/submissions/{sid}", headers=room.teacher)).json()
    assert all("stdout" in t for t in teacher_view["tests"]), "the teacher sees every test's output"
    assignment = (await gateway.get(f"/v1/assignments/{room.assignment_id}", headers=auth)).json()
    hidden = [t for t in assignment["tests"] if t["hidden"]]
    assert hidden and all(t["stdin"] is None and t["expected_stdout"] is None for t in hidden)


async def test_a_checker_accepts_any_right_answer_through_the_api(gateway: httpx.AsyncClient) -> None:
    tests = [
        {"stdin": "10\n", "expected_stdout": "1 9\n", "weight": 1, "comparison": "checker"},
        {
            "stdin": "1000\n",
            "expected_stdout": "1 999\n",
            "weight": 2,
            "comparison": "checker",
            "hidden": True,
        },
    ]
    _, teacher = await login(gateway, "checker-teacher")
    course = (await gateway.post("/v1/courses", json={"title": "Splits"}, headers=teacher)).json()["id"]
    r = await gateway.post(
        f"/v1/courses/{course}/assignments",
        json={"title": "Split n", "checker": {"language": "c", "source": SPLIT_CHECKER}, "tests": tests},
        headers=teacher,
    )
    assert r.status_code == 201, r.text
    assert r.json()["checker_language"] == "c"
    assignment = r.json()["id"]
    [(_, auth)] = await enrol_new(gateway, course, teacher, [("checker-student", "student")])

    answers = {
        "n = int(input())\nprint(n // 2, n - n // 2)\n": ("accepted", 3),  # not the expected text
        "n = int(input())\nprint(2, n - 2)\n": ("accepted", 3),
        "n = int(input())\nprint(n, 0)\n": ("wrong_answer", 0),
    }
    ids = {}
    for source in answers:
        r = await gateway.post(
            "/v1/submissions",
            json={"assignment_id": assignment, "language": "python", "source": source},
            headers=auth,
        )
        assert r.status_code == 202
        ids[r.json()["id"]] = source
    views = await wait_graded(gateway, dict.fromkeys(ids, auth))
    for sid, source in ids.items():
        assert (views[sid]["verdict"], views[sid]["score"]) == answers[source], views[sid]
        hidden = [t for t in views[sid]["tests"] if t["hidden"]]
        assert hidden and all("message" not in t for t in hidden), "a checker's comment is hidden data too"


async def test_a_checker_test_without_a_checker_is_refused_by_field(gateway: httpx.AsyncClient) -> None:
    _, teacher = await login(gateway, "no-checker")
    course = (await gateway.post("/v1/courses", json={"title": "C"}, headers=teacher)).json()["id"]
    r = await gateway.post(
        f"/v1/courses/{course}/assignments",
        json={"title": "T", "tests": [{"expected_stdout": "1", "comparison": "checker"}]},
        headers=teacher,
    )
    assert r.status_code == 422 and "tests" in r.text and "checker" in r.text, r.text


async def test_every_limit_is_set_per_assignment_within_its_maximum(gateway: httpx.AsyncClient) -> None:
    _, teacher = await login(gateway, "limits")
    course = (await gateway.post("/v1/courses", json={"title": "Limits"}, headers=teacher)).json()["id"]
    limits = {
        "time_limit_ms": 1000,
        "wall_limit_ms": 1500,
        "memory_limit_mb": 128,
        "max_processes": 4,
        "max_output_kb": 16,
        "max_file_kb": 2048,
        "stack_limit_mb": 32,
    }
    body = {"title": "T", "tests": [{"expected_stdout": "1"}], **limits}
    r = await gateway.post(f"/v1/courses/{course}/assignments", json=body, headers=teacher)
    assert r.status_code == 201, r.text
    assert {k: r.json()[k] for k in limits} == limits

    for field, value in [("wall_limit_ms", 10**6), ("stack_limit_mb", 1024), ("max_file_kb", 10**6)]:
        r = await gateway.post(
            f"/v1/courses/{course}/assignments", json={**body, field: value}, headers=teacher
        )
        assert r.status_code == 422 and field in r.text, (field, r.text)


async def test_a_wall_time_limit_stops_a_sleeping_run(gateway: httpx.AsyncClient) -> None:
    _, auth = await login(gateway, "sleeper")
    body = {"source_code": "import time\ntime.sleep(3)\n", "language_id": 71, "wall_time_limit": 0.5}
    r = await gateway.post("/judge0/submissions?wait=true", json=body, headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["status"]["description"] == "Time Limit Exceeded"

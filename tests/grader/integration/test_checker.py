"""Custom checker programs against the real sandbox: the teacher's program decides tests compared by
"checker" (any valid answer accepted), runs sandboxed in the submission's slot, and its own failure
is an internal error — never the student's verdict."""

import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from grader.adapters.sandbox import BwrapSandbox
from grader.domain.grading import Checker, Limits, TestCase
from grader.usecases.judging import judge

pytestmark = pytest.mark.integration

LIMITS = Limits(time_ms=2000, memory_mb=256, output_bytes=64 * 1024)
# The task: print any two positive integers whose sum is n. Many answers are right.
PY_CHECKER = Checker(
    "python",
    "import sys\n"
    "n = int(open(sys.argv[1]).read())\n"
    "try:\n"
    "    a, b = map(int, open(sys.argv[2]).read().split())\n"
    "except ValueError:\n"
    "    sys.exit(2)\n"
    "sys.exit(0 if a > 0 and b > 0 and a + b == n else 1)\n",
)
C_CHECKER = Checker(
    "c",
    "#include <stdio.h>\n"
    'int main(int c, char **v){ long n, a, b; FILE *in = fopen(v[1], "r"), *out = fopen(v[2], "r");\n'
    ' if (!in || !out || fscanf(in, "%ld", &n) != 1) return 3;\n'
    ' if (fscanf(out, "%ld %ld", &a, &b) != 2) return 2;\n'
    " return (a > 0 && b > 0 && a + b == n) ? 0 : 1; }\n",
)
SPLIT_ONE = "n = int(input())\nprint(1, n - 1)\n"  # right: 1 + (n-1)
SPLIT_HALF = "n = int(input())\nprint(n // 2, n - n // 2)\n"  # right too, a different answer
WRONG = "n = int(input())\nprint(n, 1)\n"
CRASH = "raise SystemExit(3)\n"


def _cases(*inputs: str) -> list[TestCase]:
    return [
        TestCase(uuid.uuid4(), i, stdin, "", weight=1, hidden=False, comparison="checker")
        for i, stdin in enumerate(inputs)
    ]


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[BwrapSandbox]:
    sandbox = BwrapSandbox(Path(tempfile.gettempdir()) / "gradeflow-test-checker", 61_300, slots=1)
    await sandbox.start()
    yield sandbox


async def _verdicts(sandbox: BwrapSandbox, source: str, checker: Checker | None, *inputs: str) -> list[str]:
    build = await sandbox.prepare("python", source)
    try:
        return [r.verdict for r in await judge(sandbox, build, _cases(*inputs), LIMITS, checker)]
    finally:
        await sandbox.discard(build)


@pytest.mark.parametrize("checker", [PY_CHECKER, C_CHECKER], ids=["python checker", "c checker"])
async def test_a_checker_accepts_every_right_answer_and_rejects_a_wrong_one(
    sandbox: BwrapSandbox, checker: Checker
) -> None:
    assert await _verdicts(sandbox, SPLIT_ONE, checker, "10\n", "7\n") == ["accepted", "accepted"]
    assert await _verdicts(sandbox, SPLIT_HALF, checker, "10\n", "7\n") == ["accepted", "accepted"]
    assert await _verdicts(sandbox, WRONG, checker, "10\n") == ["wrong_answer"]
    assert await _verdicts(sandbox, "print('x')\n", checker, "10\n") == ["wrong_answer"]


async def test_a_run_that_fails_keeps_its_own_verdict(sandbox: BwrapSandbox) -> None:
    assert await _verdicts(sandbox, CRASH, PY_CHECKER, "10\n") == ["runtime_error"]


async def test_a_failing_or_missing_checker_is_an_internal_error(sandbox: BwrapSandbox) -> None:
    crashing = Checker("python", "raise RuntimeError('bug in the checker')\n")
    broken = Checker("c", "int main( {\n")
    unparsable = Checker("python", "def check(:\n")
    assert await _verdicts(sandbox, SPLIT_ONE, crashing, "10\n") == ["internal_error"]
    assert await _verdicts(sandbox, SPLIT_ONE, broken, "10\n") == ["internal_error"]
    assert await _verdicts(sandbox, SPLIT_ONE, unparsable, "10\n") == ["internal_error"]
    assert await _verdicts(sandbox, SPLIT_ONE, None, "10\n") == ["internal_error"]


async def test_the_checker_is_sandboxed(sandbox: BwrapSandbox) -> None:
    """A checker is the teacher's code, but runs under the same walls: no network, no secrets."""
    snooping = Checker(
        "python",
        "import os, socket, sys\n"
        "assert 'DATABASE_URL' not in os.environ\n"
        "try:\n    socket.create_connection(('127.0.0.1', 5672), 1)\n    sys.exit(3)\n"
        "except OSError:\n    sys.exit(0)\n",
    )
    assert await _verdicts(sandbox, SPLIT_ONE, snooping, "10\n") == ["accepted"]


async def test_the_slot_is_free_after_a_checked_submission(sandbox: BwrapSandbox) -> None:
    """One slot: had the checker taken (or kept) a slot of its own, this would hang or fail."""
    for _ in range(3):
        assert await _verdicts(sandbox, SPLIT_ONE, C_CHECKER, "5\n") == ["accepted"]
    leftovers = list((Path(tempfile.gettempdir()) / "gradeflow-test-checker").glob("build-*"))
    assert leftovers == [], "every build directory, the checker's included, is removed"


async def test_the_checkers_comment_comes_with_its_verdict(sandbox: BwrapSandbox) -> None:
    talkative = Checker(
        "python",
        "import sys\nn = int(open(sys.argv[1]).read())\na, b = map(int, open(sys.argv[2]).read().split())\n"
        "print(f'{a} + {b} = {a + b}, not {n}' if a + b != n else 'ok')\nsys.exit(0 if a + b == n else 1)\n",
    )
    build = await sandbox.prepare("python", WRONG)
    try:
        [wrong] = await judge(sandbox, build, _cases("10\n"), LIMITS, talkative)
        [failed] = await judge(
            sandbox, build, _cases("10\n"), LIMITS, Checker("python", "raise SystemExit(7)\n")
        )
    finally:
        await sandbox.discard(build)
    assert (wrong.verdict, wrong.message) == ("wrong_answer", "10 + 1 = 11, not 10")
    assert failed.verdict == "internal_error" and "exit code 7" in failed.message

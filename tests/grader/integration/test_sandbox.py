"""The process sandbox against real programs: verdicts for well-behaved and hostile code, and the
worker stays healthy after each (the next run is graded normally)."""

import pytest

from grader.adapters.sandbox import ProcessSandbox
from grader.domain.grading import Limits, verdict_of

pytestmark = pytest.mark.integration

LIMITS = Limits(time_ms=1000, memory_mb=128, output_bytes=64 * 1024)
SUM = "n = int(input())\nprint(sum(range(1, n + 1)))\n"

PROGRAMS = {
    "accepted": SUM,
    "wrong_answer": "print(42)\n",
    "runtime_error": "raise SystemExit(3)\n",
    "time_limit_exceeded": "while True:\n    pass\n",
    "output_limit_exceeded": "while True:\n    print('x' * 1000)\n",
    "memory_limit_exceeded": "blob = bytearray(1024 * 1024 * 1024)\n",
}


@pytest.fixture(scope="module")
def sandbox() -> ProcessSandbox:
    return ProcessSandbox("/usr/bin/python3")


@pytest.mark.parametrize(("expected", "source"), PROGRAMS.items(), ids=list(PROGRAMS))
async def test_program_gets_its_verdict_and_the_next_run_is_normal(
    sandbox: ProcessSandbox, expected: str, source: str
) -> None:
    execution = await sandbox.run("python", source, "10\n", LIMITS)
    assert verdict_of(execution, "55\n") == expected, execution
    after = await sandbox.run("python", SUM, "10\n", LIMITS)
    assert verdict_of(after, "55\n") == "accepted"


async def test_uncaught_exception_is_a_runtime_error_with_its_stderr(
    sandbox: ProcessSandbox,
) -> None:
    execution = await sandbox.run("python", "raise ValueError('boom')\n", "", LIMITS)
    assert verdict_of(execution, "") == "runtime_error"
    assert execution.exit_code == 1
    assert "ValueError: boom" in execution.stderr


async def test_the_services_environment_is_not_visible(
    sandbox: ProcessSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://secret")
    source = "import os\nprint(sorted(os.environ))\n"
    execution = await sandbox.run("python", source, "", LIMITS)
    assert "DATABASE_URL" not in execution.stdout
    assert "secret" not in execution.stdout

"""The Python fork server (adapters/runner/zygote.py): a program forked from it behaves as if
started by `python3 -I -S main.py` — same output, errors and exit codes — and no test can reach
another test's data through it."""

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from grader.adapters.sandbox import ZYGOTE_FROM, BwrapSandbox
from grader.domain.grading import Execution, Limits, verdict_of

pytestmark = pytest.mark.integration

LIMITS = Limits(time_ms=2000, memory_mb=256, output_bytes=64 * 1024)
PROGRAMS = {
    "plain": "print(input().upper())\n",
    "exit with a message": "import sys\nsys.exit('bye')\n",
    "exit code": "raise SystemExit(7)\n",
    "uncaught exception": "def f():\n    raise ValueError('boom')\nf()\n",
    "syntax error at run time": "exec('1 +')\n",
    "syntax error": "def f(:\n    pass\n",
    "indentation error": "if True:\nprint(1)\n",
    "atexit and threads": (
        "import atexit, threading\n"
        "atexit.register(lambda: print('atexit'))\n"
        "t = threading.Thread(target=lambda: print('thread'))\n"
        "t.start()\nprint('main')\n"
    ),
    "unflushed output": "import sys\nsys.stdout.write('no newline')\n",
    "argv, path and name": "import sys\nprint(sys.argv, sys.path[0], __name__, __file__)\n",
    "flags": "import sys\nprint(sys.flags.isolated, sys.flags.no_site)\n",
    "recursion": "import sys\ndef f(n): return f(n + 1)\nf(0)\n",
}


@pytest.fixture(scope="module")
async def sandboxes() -> AsyncIterator[tuple[BwrapSandbox, BwrapSandbox]]:
    root = Path(tempfile.gettempdir())
    forked = BwrapSandbox(root / "gradeflow-test-zygote", 61_900, slots=1, zygote=True)
    started = BwrapSandbox(root / "gradeflow-test-exec", 61_910, slots=1, zygote=False)
    for sandbox in (forked, started):
        await sandbox.start()
    yield forked, started


async def _run(sandbox: BwrapSandbox, source: str, stdins: list[str]) -> list[Execution]:
    build = await sandbox.prepare("python", source)
    try:
        return await sandbox.run_all(build, stdins, LIMITS)
    finally:
        await sandbox.discard(build)


@pytest.mark.parametrize("name", list(PROGRAMS))
async def test_a_forked_program_behaves_as_a_started_one(
    sandboxes: tuple[BwrapSandbox, BwrapSandbox], name: str
) -> None:
    forked, started = sandboxes
    stdins = ["abc\n"] * ZYGOTE_FROM  # enough tests for the fork server to be used
    pairs = zip(
        await _run(forked, PROGRAMS[name], stdins), await _run(started, PROGRAMS[name], stdins), strict=True
    )
    for a, b in pairs:
        assert (a.exit_code, a.signal, a.stdout) == (b.exit_code, b.signal, b.stdout)
        # The last line of a traceback, or the whole of a shorter stderr, is the same.
        assert a.stderr.strip().splitlines()[-1:] == b.stderr.strip().splitlines()[-1:]
        assert verdict_of(a, "") == verdict_of(b, "")
        if name in ("syntax error", "indentation error"):
            assert verdict_of(a, "") == "compilation_error" and a.stderr == b.stderr
        if name == "uncaught exception":
            assert a.stderr == b.stderr, "the same traceback, without the fork server's frame"


async def test_the_forked_programs_are_faster(sandboxes: tuple[BwrapSandbox, BwrapSandbox]) -> None:
    """CPU time per test: the interpreter's start-up is paid once per submission, not per test."""
    forked, started = sandboxes
    a = await _run(forked, PROGRAMS["plain"], ["x\n"] * 5)
    b = await _run(started, PROGRAMS["plain"], ["x\n"] * 5)
    assert all(verdict_of(e, "X\n") == "accepted" for e in a + b)
    assert sum(e.time_ms for e in a) < sum(e.time_ms for e in b)


async def test_no_test_reaches_another_tests_input(sandboxes: tuple[BwrapSandbox, BwrapSandbox]) -> None:
    """Each program reads its own input, then searches every descriptor, environment and memory
    map it can open in /proc for any other test's marker."""
    snoop = (
        "import os\nown = input()\nfound = set()\n"
        "for pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
        "    paths = ['/proc/%s/environ' % pid, '/proc/%s/cmdline' % pid]\n"
        "    try:\n"
        "        paths += ['/proc/%s/fd/%s' % (pid, fd) for fd in os.listdir('/proc/%s/fd' % pid)]\n"
        "    except OSError:\n"
        "        pass\n"
        "    for path in paths:\n"
        "        try:\n"
        "            with open(path, 'rb') as f:\n"
        "                data = f.read(1 << 20)\n"
        "        except OSError:\n"
        "            continue\n"
        "        found |= {m for m in ('MARK-0', 'MARK-1', 'MARK-2') if m.encode() in data and m != own}\n"
        "print(sorted(found))\n"
    )
    for sandbox in sandboxes:
        executions = await _run(sandbox, snoop, ["MARK-0\n", "MARK-1\n", "MARK-2\n"])
        assert [e.stdout for e in executions] == ["[]\n"] * 3, executions

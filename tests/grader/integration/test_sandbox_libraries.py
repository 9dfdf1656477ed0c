"""What a program finds in the sandbox and how the peers' ways of running it behave, on the real
sandbox: NumPy and Matplotlib import and draw (Agg, a PNG in /tmp), pylint runs inside a job with
the sandbox's /etc/pylintrc; Jobe's way (its flags, its file names, a writable working directory,
output cut off rather than failing the run, `numprocs` exact); Judge0's merged stderr and its
multi-file programs."""

from collections.abc import AsyncIterator

import pytest

from grader.adapters.sandbox import BwrapSandbox
from grader.domain.grading import Build, BuildOptions, Execution, Limits
from grader.domain.languages import JobeWay
from tests.grader.integration.support import started_sandbox

pytestmark = pytest.mark.integration

LIMITS = Limits(time_ms=5000, memory_mb=1000, output_bytes=64 * 1024, processes=30)


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[BwrapSandbox]:
    async with started_sandbox("gradeflow-test-libraries", 61_840, slots=2) as sandbox:
        yield sandbox


async def _run(
    sandbox: BwrapSandbox, language: str, source: str, limits: Limits = LIMITS, stdin: str = "", **how: object
) -> tuple[Build, Execution | None]:
    build = await sandbox.prepare(language, source, how=BuildOptions(**how))
    try:
        if build.compile_error is not None:
            return build, None
        return build, await sandbox.run(build, stdin, limits)
    finally:
        await sandbox.discard(build)


async def test_numpy_and_matplotlib_import_and_draw(sandbox: BwrapSandbox) -> None:
    source = (
        "import numpy as np\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "plt.plot(np.arange(10) ** 2)\nplt.savefig('/tmp/plot.png')\n"
        "print(np.arange(10).sum(), open('/tmp/plot.png', 'rb').read(4))\n"
    )
    _, done = await _run(sandbox, "python", source, jobe=JobeWay())
    assert done is not None and (done.exit_code, done.stdout) == (0, "45 b'\\x89PNG'\n"), done


async def test_pylint_runs_inside_a_job_with_the_sandboxs_pylintrc(sandbox: BwrapSandbox) -> None:
    source = (
        "import subprocess\nopen('good.py', 'w').write('\"\"\"Doc.\"\"\"\\nVALUE = 20\\nprint(VALUE)\\n')\n"
        "open('bad.py', 'w').write('value=20\\n')\n"
        "for name in ('good.py', 'bad.py'):\n"
        "    out = subprocess.run(['pylint', name], capture_output=True, text=True).stdout\n"
        "    print(name, repr(out.strip()[:60]))\n"
    )
    _, done = await _run(sandbox, "python", source, jobe=JobeWay())
    assert done is not None and done.exit_code == 0, done
    good, bad = done.stdout.splitlines()
    assert good == "good.py ''", "no messages, no score: /etc/pylintrc as Jobe's install writes it"
    assert bad.startswith("bad.py '************* Module bad"), bad


async def test_jobes_way_compiles_and_runs_as_jobe_does(sandbox: BwrapSandbox) -> None:
    # Jobe's C flags: -Werror makes a warning an error; -std=c99 -x c; its own file names.
    build, warned = await _run(sandbox, "c", "int main(void) { int unused; return 0; }", jobe=JobeWay())
    assert warned is None and "unused" in (build.compile_error or ""), build.compile_error
    # No optimisation: unbounded recursion overflows the stack (Jobe: a runtime error).
    recursion = "void f(int i, int d) { if (i) f(i + d, d); }\nint main(void) { f(3, 1); return 0; }"
    _, crashed = await _run(sandbox, "c", recursion, jobe=JobeWay())
    assert crashed is not None and crashed.signal == 11 and not crashed.timed_out, crashed
    # compileargs replace the defaults; a plain word is a file name for gcc (absent: its error).
    build, _ = await _run(
        sandbox, "c", "int main(void) { return 0; }", jobe=JobeWay(compile_args=("std=c89",))
    )
    assert "std=c89" in (build.compile_error or ""), build.compile_error
    # The working directory is a writable copy of the program's: files written beside it.
    source = "open('out.txt', 'w').write('fish'); print(open('out.txt').read(), open('prog.py').read()[:4])"
    _, wrote = await _run(sandbox, "python", source, jobe=JobeWay())
    assert wrote is not None and wrote.stdout == "fish open\n", wrote
    # Interpreter arguments replace the defaults.
    _, blah = await _run(sandbox, "python", "", jobe=JobeWay(interpreter_args=("-c", 'print("Blah")')))
    assert blah is not None and blah.stdout == "Blah\n", blah


async def test_jobes_way_cuts_output_off_and_counts_every_process(sandbox: BwrapSandbox) -> None:
    small = Limits(time_ms=1000, memory_mb=256, output_bytes=2000, processes=20)
    endless = '#include <stdio.h>\nint main(void) { while (1) printf("Hello"); }'
    _, spun = await _run(sandbox, "c", endless, small, jobe=JobeWay())
    assert spun is not None and spun.timed_out and len(spun.stdout) == 2000, "cut off, ran to its time"
    stops = '#include <stdio.h>\nint main(void) { for (int i = 0; i < 1000; i++) printf("Hello"); return 0; }'
    _, stopped = await _run(sandbox, "c", stops, small, jobe=JobeWay())
    assert stopped is not None and (stopped.exit_code, len(stopped.stdout)) == (0, 2000), stopped
    forks = (
        "#include <stdio.h>\n#include <unistd.h>\nint main(void) { int ok = 0;\n"
        "for (int i = 0; i < 100; i++) { int p = fork(); if (p == 0) { while (1) {} } if (p > 0) ok++; }\n"
        'printf("%d\\n", ok); return 0; }'
    )
    _, forked = await _run(sandbox, "c", forks, small, jobe=JobeWay())
    assert forked is not None and forked.stdout == "19\n", "numprocs 20: the program and 19 children"


async def test_merged_stderr_and_a_multi_file_program(sandbox: BwrapSandbox) -> None:
    both = "import sys\nprint('out', flush=True)\nprint('err', file=sys.stderr, flush=True)\nprint('out2')"
    _, merged = await _run(sandbox, "python", both, merge_stderr=True)
    assert merged is not None and (merged.stdout, merged.stderr) == ("out\nerr\nout2\n", ""), merged
    files = [
        ("compile", b"gcc -o prog main.c helper.c\n"),
        ("run", b'./prog "$@"\n'),
        ("main.c", b'#include <stdio.h>\nint twice(int);\nint main(void) { printf("%d\\n", twice(21)); }\n'),
        ("helper.c", b"int twice(int x) { return 2 * x; }\n"),
    ]
    _, project = await _run(sandbox, "multi", "", files=files)
    assert project is not None and (project.exit_code, project.stdout) == (0, "42\n"), project
    build, _ = await _run(sandbox, "multi", "", files=[("compile", b"exit 3\n"), ("run", b"echo no\n")])
    assert build.compile_error is not None, "a compile script that fails is a compilation error"
    _, scripted = await _run(sandbox, "multi", "", files=[("run", b"echo only a run script\n")])
    assert scripted is not None and scripted.stdout == "only a run script\n", scripted

"""The sandbox against real programs in every language: correctness verdicts, with CPU time and
peak memory measured, and one compile serving every run."""

import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from grader.adapters.sandbox import ZYGOTE_FROM, BwrapSandbox
from grader.domain.grading import Limits, verdict_of

pytestmark = pytest.mark.integration

LIMITS = Limits(time_ms=1000, memory_mb=128, output_bytes=64 * 1024)

SUM = {
    "python": "n = int(input())\nprint(sum(range(1, n + 1)))\n",
    "c": '#include <stdio.h>\nint main(){long n;scanf("%ld",&n);printf("%ld\\n",n*(n+1)/2);return 0;}\n',
    "cpp": "#include <iostream>\nint main(){long n;std::cin>>n;std::cout<<n*(n+1)/2<<std::endl;}\n",
    "javascript": "const n = parseInt(require('fs').readFileSync(0, 'utf8'));\nconsole.log(n * (n + 1) / 2);\n",
    "java": "import java.util.*;\npublic class Main { public static void main(String[] a) {"
    " long n = new Scanner(System.in).nextLong(); System.out.println(n * (n + 1) / 2); } }\n",
}

# language → verdict (with what provokes it, after a colon) → program. Each verdict is asserted exactly.
PROGRAMS: dict[str, dict[str, str]] = {
    "python": {
        "wrong_answer": "print(42)\n",
        "runtime_error": "raise ValueError('boom')\n",
        "runtime_error: exit code": "import sys\nsys.exit(3)\n",
        "runtime_error: segfault": "import ctypes\nctypes.string_at(0)\n",
        "time_limit_exceeded": "while True:\n    pass\n",
        "memory_limit_exceeded": "blob = bytearray(1024 * 1024 * 1024)\n",
        "output_limit_exceeded": "while True:\n    print('x' * 1000)\n",
        "compilation_error": "def f(:\n    pass\n",
    },
    "c": {
        "wrong_answer": '#include <stdio.h>\nint main(){puts("42");}\n',
        "runtime_error": "int main(){int *p=0; return *p;}\n",
        "runtime_error: exit code": "int main(){return 3;}\n",
        "runtime_error: division by zero": "int main(int c, char **v){volatile int z = c - 1; return (c + 6) / z;}\n",
        "time_limit_exceeded": "int main(){volatile long i=0; for(;;) i++;}\n",
        "memory_limit_exceeded": "#include <stdlib.h>\n#include <string.h>\n"
        "int main(){for(;;){char*p=malloc(1<<20); if(!p) return 3; memset(p,1,1<<20);}}\n",
        "output_limit_exceeded": '#include <stdio.h>\nint main(){for(;;) puts("xxxxxxxxxxxxxxxxxxxxxxx");}\n',
        "compilation_error": "int main( { return 0 }\n",
    },
    "cpp": {
        "wrong_answer": "#include <iostream>\nint main(){std::cout<<42<<std::endl;}\n",
        "runtime_error": '#include <stdexcept>\nint main(){throw std::runtime_error("boom");}\n',
        "runtime_error: exit code": "int main(){return 3;}\n",
        "runtime_error: segfault": "int main(){int *p=nullptr; return *p;}\n",
        "time_limit_exceeded": "int main(){volatile long i=0; for(;;) i++;}\n",
        "memory_limit_exceeded": "#include <vector>\nint main(){std::vector<char*> v; for(;;) v.push_back(new char[1<<20]());}\n",
        "output_limit_exceeded": '#include <iostream>\nint main(){for(;;) std::cout << "xxxxxxxxxxxxxxxx\\n";}\n',
        "compilation_error": "int main() { undefined_thing(); }\n",
    },
    "javascript": {
        "wrong_answer": "console.log(42)\n",
        "runtime_error": "throw new Error('boom')\n",
        "runtime_error: exit code": "process.exit(3)\n",
        "time_limit_exceeded": "for(;;){}\n",
        "memory_limit_exceeded": "const a = []; for(;;) a.push(new Array(1e6).fill(1));\n",
        "output_limit_exceeded": "const s = 'x'.repeat(1000) + '\\n'; for(;;) process.stdout.write(s);\n",
        "compilation_error": "function f( {\n",
    },
    "java": {
        "wrong_answer": "public class Main { public static void main(String[] a) { System.out.println(42); } }\n",
        "runtime_error": "public class Main { public static void main(String[] a) { int[] x = new int[1]; x[2] = 1; } }\n",
        "runtime_error: exit code": "public class Main { public static void main(String[] a) { System.exit(3); } }\n",
        "time_limit_exceeded": "public class Main { public static void main(String[] a) { for(;;){} } }\n",
        "output_limit_exceeded": "public class Main { public static void main(String[] a) {"
        ' for(;;) System.out.println("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"); } }\n',
        "memory_limit_exceeded": "import java.util.*;\npublic class Main { public static void main(String[] a) {"
        " List<long[]> l = new ArrayList<>(); for(;;) l.add(new long[1<<20]); } }\n",
        "compilation_error": 'public class Main { public static void main(String[] a) { int x = "s"; } }\n',
    },
}
CASES = [(lang, case, src) for lang, progs in PROGRAMS.items() for case, src in progs.items()]


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[BwrapSandbox]:
    sandbox = BwrapSandbox(Path(tempfile.gettempdir()) / "gradeflow-test-sandbox", 61_100, slots=2)
    await sandbox.start()
    yield sandbox


async def _judge(sandbox: BwrapSandbox, language: str, source: str, stdin: str, expected: str) -> str:
    """The verdict of a run alone and of the same run in a batch (Python's fork-server route):
    both must agree."""
    build = await sandbox.prepare(language, source)
    try:
        if build.compile_error is not None:
            return "compilation_error"
        alone = verdict_of(await sandbox.run(build, stdin, LIMITS), expected)
        if language == "python":
            batch = await sandbox.run_all(build, [stdin] * ZYGOTE_FROM, LIMITS)
            assert {verdict_of(e, expected) for e in batch} == {alone}, batch
        return alone
    finally:
        await sandbox.discard(build)


@pytest.mark.parametrize("language", list(SUM))
async def test_a_correct_program_is_accepted_and_measured(sandbox: BwrapSandbox, language: str) -> None:
    build = await sandbox.prepare(language, SUM[language])
    try:
        assert build.compile_error is None
        for n in (1, 10, 1000):  # one build, several runs
            execution = await sandbox.run(build, f"{n}\n", LIMITS)
            assert verdict_of(execution, f"{n * (n + 1) // 2}\n") == "accepted", execution
            assert execution.memory_kb > 0 and execution.wall_ms > 0
            # CPU time is the sum over threads (the JVM runs several): at most wall time times cores.
            cores = os.cpu_count() or 1
            assert execution.time_ms < LIMITS.time_ms and execution.time_ms <= execution.wall_ms * cores + 1
    finally:
        await sandbox.discard(build)


@pytest.mark.parametrize(("language", "expected", "source"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
async def test_program_gets_its_exact_verdict(
    sandbox: BwrapSandbox, language: str, expected: str, source: str
) -> None:
    assert await _judge(sandbox, language, source, "10\n", "55\n") == expected.split(":")[0]
    # ...and the worker stays healthy: the next submission is graded normally.
    assert await _judge(sandbox, language, SUM[language], "10\n", "55\n") == "accepted"


async def test_runtime_error_names_its_signal_or_exit_code(sandbox: BwrapSandbox) -> None:
    build = await sandbox.prepare("c", "int main(){int *p=0; return *p;}\n")
    segv = await sandbox.run(build, "", LIMITS)
    await sandbox.discard(build)
    assert segv.signal == 11 and segv.exit_code is None
    build = await sandbox.prepare("python", "raise SystemExit(3)\n")
    exit3 = await sandbox.run(build, "", LIMITS)
    await sandbox.discard(build)
    assert exit3.exit_code == 3 and exit3.signal is None


@pytest.mark.parametrize(
    ("source", "tight", "loose"),
    [
        # wall time: a program that sleeps uses no CPU; only the wall clock stops it
        ("import time\ntime.sleep(1.5)\nprint(55)\n", {"wall_ms": 1000}, {"wall_ms": 2500}),
        # file size: a 2 MiB file
        (
            "with open('f', 'wb') as f:\n    f.write(b'x' * 2**21)\nprint(55)\n",
            {"file_bytes": 1024 * 1024},
            {"file_bytes": 4 * 1024 * 1024},
        ),
        # stack: 200 frames of 64 KiB each, about 13 MiB
        (
            "#include <stdio.h>\n#include <string.h>\n"
            "int f(int n){ volatile char pad[65536]; memset((char*)pad, n, sizeof pad);"
            " return n ? f(n - 1) + pad[7] : 0; }\n"
            'int main(){ printf("%d\\n", f(200) * 0 + 55); }\n',
            {"stack_bytes": 4 * 1024 * 1024},
            {"stack_bytes": 64 * 1024 * 1024},
        ),
    ],
    ids=["wall time", "file size", "stack"],
)
async def test_each_limit_is_the_assignments_own(
    sandbox: BwrapSandbox, source: str, tight: dict[str, int], loose: dict[str, int]
) -> None:
    build = await sandbox.prepare("c" if "#include" in source else "python", source)
    try:
        assert build.compile_error is None, build.compile_error
        strict = await sandbox.run(build, "", replace(LIMITS, **tight))
        generous = await sandbox.run(build, "", replace(LIMITS, **loose))
    finally:
        await sandbox.discard(build)
    assert verdict_of(strict, "55\n") != "accepted", strict
    assert verdict_of(generous, "55\n") == "accepted", generous

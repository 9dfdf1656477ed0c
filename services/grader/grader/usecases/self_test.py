"""The grader's start-up self-test: before it consumes anything, a program runs in the sandbox and
its bounds hold. A grader on a node that cannot sandbox (no delegated cgroup, a seccomp or AppArmor
profile refusing namespaces, a toolchain missing) refuses to start and says why, rather than take
submissions it would fail or grade unbounded."""

from dataclasses import dataclass

from grader.domain.grading import Execution, Limits, Sandbox

TOKEN = "gradeflow-self-test"
# Prints the token read back from stdin, then (given "grow") holds ever more memory.
PROGRAM = """
import sys
line = sys.stdin.readline().strip()
print(line, flush=True)
if line == "grow":
    held = []
    while True:
        held.append(bytearray(8 << 20))
"""
LIMITS = Limits(time_ms=2000, memory_mb=64, output_bytes=4096, processes=8)


class SelfTestFailed(RuntimeError):
    """The sandbox cannot run a program, or runs it unbounded: the grader must not consume."""


@dataclass(frozen=True)
class SelfTest:
    """What the self-test saw: the echo's execution and the memory hog's."""

    echo: Execution
    hog: Execution

    def problems(self) -> list[str]:
        found = []
        if self.echo.exit_code != 0 or self.echo.stdout.strip() != TOKEN:
            found.append(
                f"a program did not run: exit {self.echo.exit_code}, signal {self.echo.signal}, "
                f"stdout {self.echo.stdout[:200]!r}, stderr {self.echo.stderr[:500]!r}"
            )
        if not self.hog.memory_exceeded:
            found.append(
                f"memory is not bounded: a program holding ever more memory under "
                f"{LIMITS.memory_mb} MB ended with exit {self.hog.exit_code}, signal {self.hog.signal}, "
                f"peak {self.hog.memory_kb} KB, timed out {self.hog.timed_out}"
            )
        return found


async def self_test(sandbox: Sandbox) -> SelfTest:
    """Run the echo and the hog once in the sandbox (Python, as every grader offers it); raise
    `SelfTestFailed` naming what went wrong."""
    try:
        build = await sandbox.prepare("python", PROGRAM)
    except Exception as exc:
        raise SelfTestFailed(f"the sandbox could not prepare a program: {exc}") from exc
    try:
        if build.compile_error:
            raise SelfTestFailed(f"the sandbox could not build a program: {build.compile_error[:500]}")
        try:
            echo, hog = await sandbox.run_all(build, [f"{TOKEN}\n", "grow\n"], LIMITS)
        except Exception as exc:
            raise SelfTestFailed(f"the sandbox could not run a program: {exc}") from exc
    finally:
        await sandbox.discard(build)
    result = SelfTest(echo, hog)
    if problems := result.problems():
        raise SelfTestFailed("the sandbox self-test failed: " + "; ".join(problems))
    return result

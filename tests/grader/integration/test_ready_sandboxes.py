"""Sandboxes started ahead of their run, against the real sandbox: a run takes its slot's and a
fresh one replaces it; one that died while waiting, or was started for another disk limit, is not
used; a compile's output counts against the disk limit; closing lets them all go."""

import os
import signal
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from grader.adapters.sandbox import BwrapSandbox
from grader.domain.grading import BuildOptions, Limits, failure_of, verdict_of
from tests.grader.integration.support import leftovers

pytestmark = pytest.mark.integration

LIMITS = Limits(time_ms=2000, memory_mb=128, output_bytes=64 * 1024)
DOUBLE = "print(int(input()) * 2)\n"
# Writes 30 MB into /tmp: more than the default disk limit (20 MB), less than 64 MB.
WRITE_30MB = "for i in range(60):\n    open(f'/tmp/{i}', 'wb').write(b'x' * (1 << 19))\nprint('wrote')\n"


@pytest.fixture
async def sandbox() -> AsyncIterator[BwrapSandbox]:
    box = BwrapSandbox(Path(tempfile.gettempdir()) / "gradeflow-test-ready", 61_830, slots=1)
    await box.start()
    yield box
    await box.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _double(sandbox: BwrapSandbox, limits: Limits = LIMITS) -> None:
    build = await sandbox.prepare("python", DOUBLE)
    try:
        assert verdict_of(await sandbox.run(build, "21\n", limits), "42\n") == "accepted"
    finally:
        await sandbox.discard(build)


async def test_a_run_takes_its_slots_ready_sandbox_and_a_fresh_one_replaces_it(sandbox: BwrapSandbox) -> None:
    [first] = await sandbox.ready_pids()
    await _double(sandbox)
    [second] = await sandbox.ready_pids()
    assert second != first, "one sandbox serves one run"
    assert not _alive(first), "the used one is gone"
    assert await leftovers(sandbox) == []


async def test_a_ready_sandbox_killed_while_waiting_is_replaced(sandbox: BwrapSandbox) -> None:
    [waiting] = await sandbox.ready_pids()
    os.killpg(waiting, signal.SIGKILL)
    await _double(sandbox)  # started afresh
    [replacement] = await sandbox.ready_pids()
    assert replacement != waiting
    await _double(sandbox)  # and that one serves
    assert await leftovers(sandbox) == []


async def test_a_run_gets_the_disk_it_asked_for_ready_or_not(sandbox: BwrapSandbox) -> None:
    build = await sandbox.prepare("python", WRITE_30MB)
    await sandbox.ready_pids()
    try:
        small = await sandbox.run(build, "", LIMITS)
        assert failure_of(small) == "runtime_error" and "No space left" in small.stderr, small
        large = Limits(time_ms=2000, memory_mb=128, output_bytes=4096, disk_bytes=64 << 20)
        assert verdict_of(await sandbox.run(build, "", large), "wrote\n") == "accepted"  # started afresh
        await sandbox.ready_pids()  # the slot's next, started for 64 MB
        assert verdict_of(await sandbox.run(build, "", large), "wrote\n") == "accepted"
        again = await sandbox.run(build, "", LIMITS)
        assert failure_of(again) == "runtime_error", again
    finally:
        await sandbox.discard(build)


# 40 classes, each holding a 60 KB constant: 40 class files of 60 KB, 2.4 MB in all.
MANY_CLASSES = (
    "public class Main { public static void main(String[] a) { System.out.println(C0.S.length()); } }\n"
    + "".join(f'class C{i} {{ static final String S = "{"x" * 60_000}"; }}\n' for i in range(40))
)


@pytest.mark.parametrize(
    ("language", "source"),
    [("c", "char big[3 << 20] = {1};\nint main(void) { return big[0] - 1; }\n"), ("java", MANY_CLASSES)],
    ids=["one 3 MB binary", "40 class files of 60 KB"],
)
async def test_a_compiles_output_counts_against_the_disk_limit(
    sandbox: BwrapSandbox, language: str, source: str
) -> None:
    build = await sandbox.prepare(language, source, how=BuildOptions(disk_bytes=2 << 20))
    try:
        assert build.compile_error is not None and "limit" in build.compile_error, build
    finally:
        await sandbox.discard(build)
    build = await sandbox.prepare(language, source, how=BuildOptions(disk_bytes=8 << 20))
    try:
        assert build.compile_error is None, build.compile_error
    finally:
        await sandbox.discard(build)


async def test_closing_lets_every_ready_sandbox_go(sandbox: BwrapSandbox) -> None:
    [waiting] = await sandbox.ready_pids()
    await sandbox.close()
    assert not _alive(waiting)
    assert await leftovers(sandbox) == [] and await sandbox.ready_pids() == set()

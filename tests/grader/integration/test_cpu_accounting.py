"""CPU time is the whole sandbox's, read from its cgroup: work handed to children the kernel reaps
(SIGCHLD ignored, so no wait ever counts them) is Time Limit Exceeded like any other, in Python and
C; and a sandbox runs on one core at most, so a neighbour's run keeps the other."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from grader.adapters.sandbox import BwrapSandbox
from grader.domain.grading import Limits, verdict_of
from tests.grader.integration.support import started_sandbox

pytestmark = pytest.mark.integration

# 12 children of 1.5 CPU-seconds each, reaped by the kernel; the parent prints "done" only once
# they have all finished, which a 1-second limit must not allow.
PYTHON = """
import os, signal, time
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
for _ in range(12):
    if os.fork() == 0:
        end = time.process_time() + 1.5
        while time.process_time() < end:
            pass
        os._exit(0)
time.sleep(0.2)
while any(p.isdigit() and int(p) > os.getpid() for p in os.listdir('/proc')):
    time.sleep(0.05)
print('done')
"""
C = r"""
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(void) {
    signal(SIGCHLD, SIG_IGN);
    for (int i = 0; i < 12; i++) {
        if (fork() == 0) {
            while ((double)clock() / CLOCKS_PER_SEC < 1.5) {}
            _exit(0);
        }
    }
    sleep(30);  /* the children are done long before */
    puts("done");
    return 0;
}
"""
# About half a second of computing, alone in its sandbox.
NEIGHBOUR = "n = 0\nfor i in range(6_000_000):\n    n += i\nprint(n > 0)\n"
LIMITS = Limits(time_ms=1000, memory_mb=256, output_bytes=65536, processes=32, wall_ms=60_000)


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[BwrapSandbox]:
    async with started_sandbox("gradeflow-test-cpu", 61400, slots=2) as sandbox:
        yield sandbox


@pytest.mark.parametrize(("language", "source"), [("python", PYTHON), ("c", C)], ids=["python", "c"])
async def test_cpu_of_children_the_kernel_reaps_is_time_limit_exceeded(
    sandbox: BwrapSandbox, language: str, source: str
) -> None:
    build = await sandbox.prepare(language, source)
    try:
        assert build.compile_error is None, build.compile_error
        execution = await sandbox.run(build, "", LIMITS)
    finally:
        await sandbox.discard(build)
    assert verdict_of(execution, "done\n") == "time_limit_exceeded", execution
    assert "done" not in execution.stdout, "the children's 18 CPU-seconds ran to completion"
    assert execution.time_ms >= LIMITS.time_ms, "the time shown is the sandbox's, children included"


async def test_a_neighbours_run_keeps_its_core_while_another_forks_workers(sandbox: BwrapSandbox) -> None:
    """Without the one-core cap, twelve busy children on two cores leave the neighbour about a
    seventh of a core: its half second of computing would take over 2 s of wall clock."""
    hog = await sandbox.prepare("c", C)
    neighbour = await sandbox.prepare("python", NEIGHBOUR)
    try:
        hog_limits = replace(LIMITS, time_ms=5000)
        neighbour_limits = replace(LIMITS, wall_ms=2000)
        hogging = asyncio.create_task(sandbox.run(hog, "", hog_limits))
        await asyncio.sleep(0.3)  # the hog's children are running
        execution = await sandbox.run(neighbour, "", neighbour_limits)
        hogged = await hogging
    finally:
        await sandbox.discard(hog)
        await sandbox.discard(neighbour)
    assert verdict_of(hogged, "done\n") == "time_limit_exceeded", hogged
    assert verdict_of(execution, "True\n") == "accepted", execution

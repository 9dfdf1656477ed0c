"""The seccomp filter is an allow-list: what no supported runtime needs answers an error instead of
reaching the kernel — vsock and netlink sockets, a `personality` that weakens the address space's
randomisation, POSIX message queues, the new mount API — while Unix and IP sockets still open."""

from collections.abc import AsyncIterator

import pytest

from grader.adapters.sandbox import BwrapSandbox
from grader.domain.grading import Limits
from tests.grader.integration.support import started_sandbox

pytestmark = pytest.mark.integration

PROBE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
static void show(const char *name, long result) { printf("%s %s\n", name, result >= 0 ? "ok" : (errno == ENOSYS ? "ENOSYS" : errno == EAFNOSUPPORT ? "EAFNOSUPPORT" : "other")); }
int main(void) {
    show("unix", socket(AF_UNIX, SOCK_STREAM, 0));
    show("inet", socket(AF_INET, SOCK_STREAM, 0));
    show("vsock", socket(AF_VSOCK, SOCK_STREAM, 0));
    show("netlink", socket(AF_NETLINK, SOCK_RAW, 0));
    show("packet", socket(AF_PACKET, SOCK_RAW, 0));
    show("personality", personality(READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE));
    show("mq_open", (long)mq_open("/q", O_CREAT | O_RDWR, 0600, NULL));
    show("fsopen", syscall(SYS_fsopen, "tmpfs", 0));
    show("query", personality(0xffffffff));
    return 0;
}
"""
EXPECTED = {
    "unix": "ok",
    "inet": "ok",
    "vsock": "EAFNOSUPPORT",
    "netlink": "EAFNOSUPPORT",
    "packet": "EAFNOSUPPORT",
    "personality": "ENOSYS",
    "mq_open": "ENOSYS",
    "fsopen": "ENOSYS",
    "query": "ok",
}


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[BwrapSandbox]:
    async with started_sandbox("gradeflow-test-seccomp", 61500, slots=1) as sandbox:
        yield sandbox


async def test_calls_outside_the_allow_list_are_refused(sandbox: BwrapSandbox) -> None:
    build = await sandbox.prepare("c", PROBE)
    try:
        assert build.compile_error is None, build.compile_error
        execution = await sandbox.run(build, "", Limits(time_ms=2000, memory_mb=64, output_bytes=4096))
    finally:
        await sandbox.discard(build)
    assert execution.exit_code == 0, execution
    assert dict(line.split() for line in execution.stdout.splitlines()) == EXPECTED


CAPS = (
    "fields = dict(l.split(':\\t') for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)\n"
    "print(*(fields[k].strip() for k in ('CapInh', 'CapPrm', 'CapEff', 'CapAmb', 'NoNewPrivs', 'Seccomp')))\n"
)


async def test_the_program_holds_no_capability_whichever_way_it_starts(sandbox: BwrapSandbox) -> None:
    """Exec'd by the runner (one test) or forked by the fork server (three): no capability at all,
    no new privileges, the filter loaded — though the runner keeps CAP_SYS_ADMIN for the mounts."""
    build = await sandbox.prepare("python", CAPS)
    try:
        limits = Limits(time_ms=2000, memory_mb=64, output_bytes=4096)
        runs = [await sandbox.run(build, "", limits), *await sandbox.run_all(build, ["", "", ""], limits)]
    finally:
        await sandbox.discard(build)
    none = "0000000000000000"
    assert [r.stdout.split() for r in runs] == [[none, none, none, none, "1", "2"]] * 4, runs

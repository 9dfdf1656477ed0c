"""Containment against the real sandbox: memory a program hides outside its heap (tmpfs, shared
memory, off-heap buffers) is charged to the sandbox's cgroup and ends in Memory Limit Exceeded; the
places it can write are size-capped and emptied after every test; the root and the build are
read-only; no user namespace can be made inside. Each case also samples the host's available memory
during the run: the host loses no more than the run's limits."""

import json
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from grader.adapters.sandbox import ZYGOTE_FROM, BwrapSandbox
from grader.domain.errors import SandboxError
from grader.domain.grading import Limits, failure_of, verdict_of
from tests.grader.integration.support import leftovers

pytestmark = pytest.mark.integration

MEMORY = Limits(time_ms=4000, memory_mb=64, output_bytes=64 * 1024, processes=16, disk_bytes=512 << 20)
SMALL_DISK = Limits(time_ms=4000, memory_mb=128, output_bytes=4096, disk_bytes=8 << 20)
# What the host may lose to one run: its memory limit, the runtime's allowance, the tmpfs, slack.
HOST_BUDGET_MB = 64 + 256 + 3 * 128 + 200

# Each hides memory where a heap limit does not look; the cgroup (64 MB + the runtime's allowance)
# stops it. The tmpfs are made larger than that, so that memory, not disk, is the limit.
HIDDEN_MEMORY: dict[str, tuple[str, str]] = {
    "python fills /tmp with files under the file-size cap": (
        "python",
        "b = b'x' * 2**19\nfor i in range(10**6):\n    with open(f'/tmp/f{i}', 'wb') as f:\n        f.write(b)\n",
    ),
    "python makes empty files until their inodes fill memory": (
        "python",
        "for i in range(10**8):\n    open(f'/tmp/{i}', 'w').close()\n",
    ),
    "python fills /dev/shm": (
        "python",
        "b = b'x' * 2**20\nfor i in range(10**6):\n    with open(f'/dev/shm/f{i}', 'wb') as f:\n        f.write(b)\n",
    ),
    "python fills its working directory": (
        "python",
        "b = b'x' * 2**19\nfor i in range(10**6):\n    with open(f'f{i}', 'wb') as f:\n        f.write(b)\n",
    ),
    "c fills /tmp with files under the file-size cap": (
        "c",
        "#include <stdio.h>\n#include <string.h>\nint main(){static char b[1<<19]; memset(b,7,sizeof b); char n[32];"
        ' for(long i=0;;i++){sprintf(n,"/tmp/f%ld",i); FILE*f=fopen(n,"w"); if(!f) return 3; fwrite(b,1,sizeof b,f); if(fclose(f)) return 4;}}\n',
    ),
    "javascript fills /dev/shm": (
        "javascript",
        "const fs = require('fs');\nconst b = Buffer.alloc(1 << 19, 1);\nfor (let i = 0; ; i++) fs.writeFileSync('/dev/shm/f' + i, b);\n",
    ),
    "java fills /tmp": (
        "java",
        "import java.nio.file.*;\npublic class Main { public static void main(String[] a) throws Exception {"
        ' byte[] b = new byte[1 << 19]; for (int i = 0; ; i++) Files.write(Path.of("/tmp/f" + i), b); } }\n',
    ),
    "c hides memory in System V shared memory": (
        "c",
        "#include <sys/shm.h>\n#include <string.h>\nint main(){for(int i=0;i<64;i++){int id=shmget(IPC_PRIVATE,16<<20,IPC_CREAT|0600); if(id<0) return 1; char*p=shmat(id,0,0); if(p==(void*)-1) return 2; memset(p,7,16<<20); shmdt(p);} return 0;}\n",
    ),
    "javascript Buffers off the V8 heap": (
        "javascript",
        "const a = [];\nfor (;;) a.push(Buffer.alloc(1 << 24, 1));\n",
    ),
    "java direct ByteBuffers off the heap": (
        "java",
        "import java.nio.*; import java.util.*;\npublic class Main { public static void main(String[] a) {"
        " List<ByteBuffer> l = new ArrayList<>(); for (;;) { ByteBuffer b = ByteBuffer.allocateDirect(1 << 24);"
        " for (int i = 0; i < b.capacity(); i += 4096) b.put(i, (byte) 1); l.add(b); } } }\n",
    ),
}


@pytest.fixture(scope="module")
async def roomy() -> AsyncIterator[BwrapSandbox]:
    """Runs whose tmpfs may hold more than their memory (MEMORY): memory must be what stops them."""
    sandbox = BwrapSandbox(Path(tempfile.gettempdir()) / "gradeflow-test-contain", 61_800, slots=1)
    await sandbox.start()
    yield sandbox
    await sandbox.close()


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[BwrapSandbox]:
    box = BwrapSandbox(Path(tempfile.gettempdir()) / "gradeflow-test-contain-small", 61_810, slots=1)
    await box.start()
    yield box
    await box.close()


def _available_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no MemAvailable")


def _free_disk_mb() -> int:
    return shutil.disk_usage(tempfile.gettempdir()).free >> 20


@contextmanager
def host_memory() -> Iterator[list[int]]:
    """[MB of memory available before, least seen during, MB of disk free before, least seen
    during] while the block runs."""
    seen = [_available_mb(), _available_mb(), _free_disk_mb(), _free_disk_mb()]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            seen[1] = min(seen[1], _available_mb())
            seen[3] = min(seen[3], _free_disk_mb())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield seen
    finally:
        done.set()
        sampler.join()


async def _run(sandbox: BwrapSandbox, language: str, source: str, stdins: list[str], limits: Limits) -> list:  # type: ignore[type-arg]
    build = await sandbox.prepare(language, source)
    try:
        assert build.compile_error is None, build.compile_error
        return await sandbox.run_all(build, stdins, limits)
    finally:
        await sandbox.discard(build)


async def test_the_grader_found_a_cgroup_and_refuses_to_run_without_one_unless_allowed() -> None:
    """This machine (and CI's) has cgroup v1 memory and pids: the bound is exercised for real."""
    root = Path(tempfile.gettempdir()) / "gradeflow-test-probe"
    probe = BwrapSandbox(root, 61_820, slots=1)
    await probe.start()
    assert probe.cgroups.mode in ("v1", "v2"), probe.cgroups.describe()
    with pytest.raises(SandboxError, match="SANDBOX_ALLOW_NO_CGROUP"):
        await BwrapSandbox(root, 61_820, slots=1, cgroup="none").start()
    weaker = BwrapSandbox(root, 61_820, slots=1, cgroup="none", allow_no_cgroup=True)
    await weaker.start()
    assert "weaker" in weaker.cgroups.describe()
    [execution] = await _run(weaker, "python", "print(6 * 7)\n", [""], MEMORY)
    assert verdict_of(execution, "42\n") == "accepted", execution


@pytest.mark.parametrize("case", HIDDEN_MEMORY, ids=list(HIDDEN_MEMORY))
async def test_memory_hidden_outside_the_heap_is_memory_limit_exceeded(
    roomy: BwrapSandbox, case: str
) -> None:
    language, source = HIDDEN_MEMORY[case]
    with host_memory() as seen:
        [execution] = await _run(roomy, language, source, [""], MEMORY)
    assert failure_of(execution) == "memory_limit_exceeded", execution
    lost, disk = seen[0] - seen[1], seen[2] - seen[3]
    assert lost < HOST_BUDGET_MB and disk < 64, f"the host lost {lost} MB of memory, {disk} MB of disk"
    assert await leftovers(roomy) == [], "nothing the run started outlives it"
    # The next submission on the same sandbox is graded normally.
    [after] = await _run(roomy, "python", "print(int(input()) * 2)\n", ["21\n"], MEMORY)
    assert verdict_of(after, "42\n") == "accepted", after


@pytest.mark.parametrize(
    ("language", "source"),
    [
        (
            "python",
            "b = b'x' * 2**16\nfor i in range(10**6):\n    with open(f'/tmp/f{i}', 'wb') as f:\n        f.write(b)\n",
        ),
        (
            "c",
            '#include <stdio.h>\nint main(){char n[32]; for(long i=0;;i++){sprintf(n,"/dev/shm/%ld",i); FILE*f=fopen(n,"w"); if(!f) return 3; fputs("xxxxxxxx",f); if(fclose(f)) return 4;}}\n',
        ),
        (
            "python",
            "import os\nos.chdir('/work')\nb = b'x' * 2**16\nfor i in range(10**6):\n    open(f'w{i}', 'wb').write(b)\n",
        ),
    ],
    ids=["files in /tmp", "many small files in /dev/shm", "files in the working directory"],
)
async def test_the_places_a_run_writes_are_capped(sandbox: BwrapSandbox, language: str, source: str) -> None:
    with host_memory() as seen:
        [execution] = await _run(
            sandbox, language, source, [""], Limits(time_ms=4000, memory_mb=128, output_bytes=4096)
        )
    assert failure_of(execution) == "runtime_error", execution  # out of space: the program's error
    assert seen[0] - seen[1] < HOST_BUDGET_MB and seen[2] - seen[3] < 64
    assert await leftovers(sandbox) == [], "nothing the run started outlives it"


ISOLATION = {
    "python": (
        "import os, sys\nseen = []\n"
        "for d in ('/tmp', '/dev/shm', '.', os.path.expanduser('~')):\n"
        "    for name in sorted(os.listdir(d)):\n"
        "        try: seen.append(open(os.path.join(d, name)).read())\n"
        "        except OSError: pass\n"
        "secret = sys.stdin.read()\n"
        "for d in ('/tmp', '/dev/shm', '.'):\n"
        "    open(os.path.join(d, 'saved'), 'w').write(secret)\n"
        "print('|'.join(seen))\n"
    ),
    "c": (
        "#include <stdio.h>\n#include <string.h>\n"
        'int main(){char s[256]={0}; fgets(s,sizeof s,stdin); const char*p[]={"/tmp/saved","/dev/shm/saved","saved"};'
        ' for(int i=0;i<3;i++){FILE*f=fopen(p[i],"r"); if(f){char b[256]={0}; fgets(b,sizeof b,f); printf("%s|",b); fclose(f);}}'
        ' for(int i=0;i<3;i++){FILE*f=fopen(p[i],"w"); if(f){fputs(s,f); fclose(f);}} puts(""); return 0;}\n'
    ),
}


@pytest.mark.parametrize("language", list(ISOLATION))
async def test_no_test_sees_what_an_earlier_test_wrote(sandbox: BwrapSandbox, language: str) -> None:
    secrets = [f"SECRET-{language}-{i}" for i in range(ZYGOTE_FROM + 1)]  # Python: the fork server's route
    executions = await _run(sandbox, language, ISOLATION[language], secrets, MEMORY)
    for execution in executions:
        assert failure_of(execution) is None, execution
        assert "SECRET" not in execution.stdout, execution.stdout


async def test_the_root_and_the_build_are_read_only(sandbox: BwrapSandbox) -> None:
    source = (
        "import json\nresult = {}\n"
        "for path in ('/etc/x', '/box/x', '/box/main.py', '/x', '/usr/x'):\n"
        "    try:\n        open(path, 'a').write('x')\n        result[path] = 'wrote'\n"
        "    except OSError:\n        result[path] = 'refused'\n"
        "print(json.dumps(result))\n"
    )
    [execution] = await _run(sandbox, "python", source, [""], MEMORY)
    assert failure_of(execution) is None, execution
    assert set(json.loads(execution.stdout).values()) == {"refused"}, execution.stdout


# Each makes a call the seccomp filter refuses: the program is killed by SIGSYS, a Runtime Error.
FORBIDDEN: dict[str, tuple[str, str]] = {
    "a nested user namespace": (
        "python",
        "import ctypes\nctypes.CDLL(None).unshare(0x10000000)\nprint('made')\n",
    ),
    "clone into a new network namespace": (
        "c",
        "#define _GNU_SOURCE\n#include <sched.h>\n#include <signal.h>\n#include <stdlib.h>\n"
        "static int f(void*a){return 0;}\nint main(){char*s=malloc(65536); return clone(f,s+65536,CLONE_NEWNET|SIGCHLD,0) < 0 ? 3 : 0;}\n",
    ),
    "ptrace of a sibling": (
        "c",
        "#include <sys/ptrace.h>\n#include <unistd.h>\n#include <signal.h>\nint main(){pid_t c=fork(); if(c==0){pause(); return 0;}"
        " long r=ptrace(PTRACE_ATTACH,c,0,0); kill(c,SIGKILL); return r==0 ? 0 : 3;}\n",
    ),
    "a kernel keyring": (
        "python",
        "import ctypes\nctypes.CDLL(None).syscall(250, 0, 0, 0, 0)\nprint('called')\n",
    ),
    "mount": (
        "c",
        '#include <sys/mount.h>\nint main(){return mount("none", "/tmp", "tmpfs", 0, 0) ? 3 : 0;}\n',
    ),
}


@pytest.mark.parametrize("case", FORBIDDEN, ids=list(FORBIDDEN))
async def test_a_forbidden_system_call_kills_the_program(sandbox: BwrapSandbox, case: str) -> None:
    language, source = FORBIDDEN[case]
    [execution] = await _run(sandbox, language, source, [""], MEMORY)
    assert failure_of(execution) == "runtime_error" and execution.signal == signal.SIGSYS, execution
    [after] = await _run(sandbox, "c", '#include <stdio.h>\nint main(){puts("ok");}\n', [""], MEMORY)
    assert verdict_of(after, "ok\n") == "accepted", after


async def test_an_out_of_memory_kill_is_told_from_a_time_out(roomy: BwrapSandbox) -> None:
    """A run killed on time is Time Limit Exceeded even in a cgroup that also saw a kill."""
    [execution] = await _run(
        roomy, "python", "while True: pass\n", [""], Limits(time_ms=300, memory_mb=64, output_bytes=4096)
    )
    assert failure_of(execution) == "time_limit_exceeded", execution
    assert execution.signal in (signal.SIGKILL, signal.SIGXCPU)

"""Containment against the real sandbox: memory a program hides outside its heap (tmpfs, shared
memory, off-heap buffers) is charged to the sandbox's cgroup and ends in Memory Limit Exceeded; the
places it can write are size-capped and emptied after every test; the root and the build are
read-only; no user namespace can be made inside. Each case also samples the host's available memory
during the run: the host loses no more than the run's limits."""

import shutil
import signal
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from grader.adapters import seccomp
from grader.adapters.sandbox import ZYGOTE_FROM, BwrapSandbox
from grader.domain.errors import SandboxError
from grader.domain.grading import Execution, Limits, failure_of, verdict_of
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
    # A memfd is a file in memory (each bounded by the file-size limit), alive while mapped.
    "python hides memory in memfds": (
        "python",
        "import ctypes, os\nlibc = ctypes.CDLL(None)\nlibc.mmap.restype = ctypes.c_void_p\n"
        "libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]\n"
        "for i in range(10**5):\n    fd = os.memfd_create('hide')\n    os.ftruncate(fd, 2**19)\n"
        "    p = libc.mmap(None, 2**19, 3, 1, fd, 0)\n    if p in (None, 2**64 - 1):\n        raise MemoryError\n"
        "    ctypes.memset(p, 7, 2**19)\n    os.close(fd)\n",
    ),
    "c hides memory in memfds": (
        "c",
        "#define _GNU_SOURCE\n#include <sys/mman.h>\n#include <unistd.h>\n#include <string.h>\n"
        'int main(){for(;;){int fd=memfd_create("hide",0); if(fd<0) return 3; if(ftruncate(fd,1<<19)) return 4;'
        " char*p=mmap(0,1<<19,PROT_READ|PROT_WRITE,MAP_SHARED,fd,0); if(p==MAP_FAILED) return 5; memset(p,7,1<<19); close(fd);}}\n",
    ),
    "c++ fills /dev/shm": (
        "cpp",
        "#include <fstream>\n#include <string>\nint main(){std::string b(1<<19,'x'); for(long i=0;;i++){"
        ' std::ofstream f("/dev/shm/f"+std::to_string(i)); f<<b; if(!f) return 3;}}\n',
    ),
    "c++ fills its working directory": (
        "cpp",
        "#include <fstream>\n#include <string>\nint main(){std::string b(1<<19,'x'); for(long i=0;;i++){"
        ' std::ofstream f("w"+std::to_string(i)); f<<b; if(!f) return 3;}}\n',
    ),
    "javascript fills /tmp": (
        "javascript",
        "const fs = require('fs');\nconst b = Buffer.alloc(1 << 19, 1);\nfor (let i = 0; ; i++) fs.writeFileSync('/tmp/f' + i, b);\n",
    ),
    "java fills /dev/shm": (
        "java",
        "import java.nio.file.*;\npublic class Main { public static void main(String[] a) throws Exception {"
        ' byte[] b = new byte[1 << 19]; for (int i = 0; ; i++) Files.write(Path.of("/dev/shm/f" + i), b); } }\n',
    ),
    "python hides memory in System V shared memory": (
        "python",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.shmat.restype = ctypes.c_void_p\n"
        "for i in range(64):\n    id = libc.shmget(0, 16 << 20, 0o1600)\n    assert id >= 0\n"
        "    p = libc.shmat(id, None, 0)\n    ctypes.memset(p, 7, 16 << 20)\n",
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


async def _contained(
    sandbox: BwrapSandbox, language: str, source: str, stdins: list[str], limits: Limits
) -> list[Execution]:
    """Run it, then check what every hostile run must leave behind: the host's memory and disk
    within the run's limits (sampled during it), no process of it left, and the sandbox grading
    the next submission normally."""
    with host_memory() as seen:
        executions = await _run(sandbox, language, source, stdins, limits)
    lost, disk = seen[0] - seen[1], seen[2] - seen[3]
    assert lost < HOST_BUDGET_MB and disk < 64, f"the host lost {lost} MB of memory, {disk} MB of disk"
    assert await leftovers(sandbox) == [], "nothing the run started outlives it"
    [after] = await _run(sandbox, "python", "print(int(input()) * 2)\n", ["21\n"], MEMORY)
    assert verdict_of(after, "42\n") == "accepted", after
    return executions


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
    [execution] = await _contained(roomy, language, source, [""], MEMORY)
    assert failure_of(execution) == "memory_limit_exceeded", execution


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
    limits = Limits(time_ms=4000, memory_mb=128, output_bytes=4096)
    [execution] = await _contained(sandbox, language, source, [""], limits)
    assert failure_of(execution) == "runtime_error", execution  # out of space: the program's error


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
    executions = await _contained(sandbox, language, ISOLATION[language], secrets, MEMORY)
    for execution in executions:
        assert failure_of(execution) is None, execution
        assert "SECRET" not in execution.stdout, execution.stdout


# Each tries to write the sandbox's root, its system, its build and the build's source, and prints
# one word per place: "refused" or "wrote".
READ_ONLY_PLACES = ("/etc/x", "/box/x", "/box/main", "/x", "/usr/x")
WRITE_EVERYWHERE = {
    "python": (
        "import json\nresult = {}\n"
        "for path in ('/etc/x', '/box/x', '/box/main.py', '/x', '/usr/x'):\n"
        "    try:\n        open(path, 'a').write('x')\n        result[path] = 'wrote'\n"
        "    except OSError:\n        result[path] = 'refused'\n"
        "print(' '.join(result.values()))\n"
    ),
    "c": (
        '#include <stdio.h>\nint main(){const char*p[]={"/etc/x","/box/x","/box/main","/x","/usr/x"};'
        ' for(int i=0;i<5;i++){FILE*f=fopen(p[i],"a"); printf("%s ", f ? "wrote" : "refused"); if(f) fclose(f);} puts(""); return 0;}\n'
    ),
    "javascript": (
        "const fs = require('fs');\nconst out = [];\n"
        "for (const p of ['/etc/x', '/box/x', '/box/main.js', '/x', '/usr/x']) {\n"
        "  try { fs.appendFileSync(p, 'x'); out.push('wrote'); } catch (e) { out.push('refused'); } }\n"
        "console.log(out.join(' '));\n"
    ),
    "java": (
        "import java.io.*;\npublic class Main { public static void main(String[] a) { StringBuilder s = new StringBuilder();"
        ' for (String p : new String[]{"/etc/x", "/box/x", "/box/Main.class", "/x", "/usr/x"}) {'
        ' try (FileWriter w = new FileWriter(p, true)) { w.write("x"); s.append("wrote "); }'
        ' catch (IOException e) { s.append("refused "); } } System.out.println(s.toString().trim()); } }\n'
    ),
}


@pytest.mark.parametrize("language", list(WRITE_EVERYWHERE))
async def test_the_root_and_the_build_are_read_only(sandbox: BwrapSandbox, language: str) -> None:
    [execution] = await _contained(sandbox, language, WRITE_EVERYWHERE[language], [""], MEMORY)
    assert failure_of(execution) is None, execution
    assert execution.stdout.split() == ["refused"] * len(READ_ONLY_PLACES), execution.stdout


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
    "c++: a nested user namespace": (
        "cpp",
        '#include <sched.h>\n#include <cstdio>\nint main(){ if (unshare(CLONE_NEWUSER) == 0) std::puts("made"); return 3; }\n',
    ),
    "python: ptrace of a sibling": (
        "python",
        "import ctypes, os, signal, time\nchild = os.fork()\nif child == 0:\n    time.sleep(5)\n    os._exit(0)\n"
        "r = ctypes.CDLL(None).ptrace(16, child, 0, 0)\nos.kill(child, signal.SIGKILL)\nprint(r)\n",
    ),
    "mount": (
        "c",
        '#include <sys/mount.h>\nint main(){return mount("none", "/tmp", "tmpfs", 0, 0) ? 3 : 0;}\n',
    ),
}


@pytest.mark.parametrize("case", FORBIDDEN, ids=list(FORBIDDEN))
async def test_a_forbidden_system_call_kills_the_program(sandbox: BwrapSandbox, case: str) -> None:
    language, source = FORBIDDEN[case]
    [execution] = await _contained(sandbox, language, source, [""], MEMORY)
    assert failure_of(execution) == "runtime_error" and execution.signal == signal.SIGSYS, execution


async def test_an_out_of_memory_kill_is_told_from_a_time_out(roomy: BwrapSandbox) -> None:
    """A run killed on time is Time Limit Exceeded even in a cgroup that also saw a kill."""
    [execution] = await _run(
        roomy, "python", "while True: pass\n", [""], Limits(time_ms=300, memory_mb=64, output_bytes=4096)
    )
    assert failure_of(execution) == "time_limit_exceeded", execution
    assert execution.signal in (signal.SIGKILL, signal.SIGXCPU)


# Every call the filter kills, from one C program that makes the call named on its stdin.
CALL_BY_NAME = (
    "#define _GNU_SOURCE\n#include <stdio.h>\n#include <string.h>\n#include <unistd.h>\n#include <sys/syscall.h>\n"
    "struct call { const char *name; long nr; };\nstatic const struct call calls[] = {\n"
    + "".join(f'#ifdef SYS_{name}\n{{"{name}", SYS_{name}}},\n#endif\n' for name in seccomp.KILLED)
    + '};\nint main(void) { char name[64] = {0};\n  if (scanf("%63s", name) != 1) return 2;\n'
    "  for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)\n"
    "    if (!strcmp(calls[i].name, name)) { syscall(calls[i].nr, 0, 0, 0, 0, 0); return 3; }\n"
    "  return 4; }\n"
)
CLONE_WITH = (
    "#define _GNU_SOURCE\n#include <sched.h>\n#include <signal.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
    "static int f(void *a) { return 0; }\n"
    'int main(void) { unsigned long flag; if (scanf("%lx", &flag) != 1) return 2; char *s = malloc(65536);'
    " return clone(f, s + 65536, (int)flag | SIGCHLD, 0) < 0 ? 3 : 0; }\n"
)
NOT_IMPLEMENTED = (
    "#define _GNU_SOURCE\n#include <errno.h>\n#include <stdio.h>\n#include <unistd.h>\n#include <sys/syscall.h>\n"
    "int main(void) { long nr[] = {SYS_clone3, SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register};"
    ' for (int i = 0; i < 4; i++) printf("%s ", syscall(nr[i], 0, 0, 0, 0, 0) < 0 && errno == ENOSYS ? "ENOSYS" : "allowed");'
    " return 0; }\n"
)


async def test_every_call_the_filter_kills_ends_in_sigsys(sandbox: BwrapSandbox) -> None:
    executions = await _contained(
        sandbox, "c", CALL_BY_NAME, [f"{name}\n" for name in seccomp.KILLED], MEMORY
    )
    unknown = [n for n, e in zip(seccomp.KILLED, executions, strict=True) if e.exit_code == 4]
    assert set(unknown) <= {"uselib"}, (
        f"not in this libc's headers: {unknown}"
    )  # uselib: no longer in x86-64 headers everywhere
    for name, execution in zip(seccomp.KILLED, executions, strict=True):
        if name not in unknown:
            assert execution.signal == signal.SIGSYS, (name, execution)
            assert failure_of(execution) == "runtime_error", (name, execution)


async def test_a_clone_into_any_new_namespace_ends_in_sigsys(sandbox: BwrapSandbox) -> None:
    flags = [f"{flag:x}\n" for flag in seccomp.NAMESPACE_FLAGS]
    for flag, execution in zip(flags, await _contained(sandbox, "c", CLONE_WITH, flags, MEMORY), strict=True):
        assert execution.signal == signal.SIGSYS, (flag, execution)


async def test_clone3_and_io_uring_answer_not_implemented(sandbox: BwrapSandbox) -> None:
    [execution] = await _contained(sandbox, "c", NOT_IMPLEMENTED, [""], MEMORY)
    assert execution.stdout.split() == ["ENOSYS"] * 4, execution

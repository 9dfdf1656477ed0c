"""Hostile programs against the real sandbox: each gets its verdict, nothing it started survives the
run, and the next submission on the same worker is graded normally."""

import json
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from grader.adapters.sandbox import ZYGOTE_FROM, BwrapSandbox
from grader.domain.grading import Limits, verdict_of
from tests.grader.integration.support import leftovers

pytestmark = pytest.mark.integration

LIMITS = Limits(time_ms=1000, memory_mb=128, output_bytes=64 * 1024, processes=16)
SUM_PY = "n = int(input())\nprint(sum(range(1, n + 1)))\n"
SUM_C = '#include <stdio.h>\nint main(){long n;scanf("%ld",&n);printf("%ld\\n",n*(n+1)/2);}\n'
BLOCKED = "import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), 1)\n    print('connected')\nexcept OSError:\n    print('blocked')\n"

# (language, program, expected stdout or None, expected verdict)
HOSTILE: dict[str, tuple[str, str, str, str]] = {
    "python fork bomb": ("python", "import os\nwhile True:\n    os.fork()\n", "", "runtime_error"),
    "c fork bomb": ("c", "#include <unistd.h>\nint main(){for(;;) fork();}\n", "", "time_limit_exceeded"),
    "python memory bomb": (
        "python",
        "a = []\nwhile True:\n    a.append(' ' * 10**7)\n",
        "",
        "memory_limit_exceeded",
    ),
    "c memory bomb": (
        "c",
        "#include <stdlib.h>\n#include <string.h>\nint main(){for(;;){char*p=malloc(1<<24); if(!p) return 1; memset(p,7,1<<24);}}\n",
        "",
        "memory_limit_exceeded",
    ),
    "infinite loop": ("c", "int main(){volatile int i=0; for(;;) i++;}\n", "", "time_limit_exceeded"),
    "sleep forever": ("python", "import time\ntime.sleep(10**6)\n", "", "time_limit_exceeded"),
    "1 GB of output": (
        "c",
        "#include <stdio.h>\n#include <string.h>\nint main(){static char b[1<<20]; memset(b,'x',sizeof b); for(int i=0;i<1024;i++) fwrite(b,1,sizeof b,stdout);}\n",
        "",
        "output_limit_exceeded",
    ),
    "a huge file": (
        "python",
        "with open('big', 'wb') as f:\n    for _ in range(1024):\n        f.write(b'x' * 2**20)\n",
        "",
        "runtime_error",
    ),
    "c huge file": (
        "c",
        '#include <stdio.h>\nint main(){FILE*f=fopen("big","w"); static char b[1<<20]; for(int i=0;i<1024;i++) fwrite(b,1,sizeof b,f); fclose(f);}\n',
        "",
        "runtime_error",
    ),
    "connect to the broker": ("python", BLOCKED.format(port=5672), "blocked\n", "accepted"),
    "background process left running": (
        "python",
        "import subprocess\nsubprocess.Popen(['sleep', '1000'])\nprint('done')\n",
        "done\n",
        "accepted",
    ),
    "double-forked daemon": (
        "python",
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(1000)\n    os._exit(0)\nprint('done')\n",
        "done\n",
        "accepted",
    ),
    # The same attacks in the other languages.
    "javascript process bomb": (
        "javascript",
        "const {spawn} = require('child_process');\nfor (;;) { try { spawn('/bin/sleep', ['100']); } catch (e) {} }\n",
        "",
        "time_limit_exceeded",
    ),
    "java process bomb": (
        "java",
        "public class Main { public static void main(String[] a) { for(;;) { try {"
        ' new ProcessBuilder("/bin/sleep", "100").start(); } catch (Exception e) {} } } }\n',
        "",
        "time_limit_exceeded",
    ),
    "c sleep forever": (
        "c",
        "#include <unistd.h>\nint main(){for(;;) sleep(1000);}\n",
        "",
        "time_limit_exceeded",
    ),
    "javascript sleep forever": (
        "javascript",
        "setInterval(() => {}, 1000000);\n",
        "",
        "time_limit_exceeded",
    ),
    "python 1 GB of output": (
        "python",
        "import sys\nfor _ in range(1024):\n    sys.stdout.write('x' * 2**20)\n",
        "",
        "output_limit_exceeded",
    ),
    "java 1 GB of output": (
        "java",
        'public class Main { public static void main(String[] a) { String s = "x".repeat(1 << 20);'
        " for (int i = 0; i < 1024; i++) System.out.print(s); } }\n",
        "",
        "output_limit_exceeded",
    ),
    "javascript huge file": (
        "javascript",
        "const fs = require('fs'); const b = Buffer.alloc(1 << 20);\n"
        "const f = fs.openSync('big', 'w'); for (let i = 0; i < 1024; i++) fs.writeSync(f, b);\n",
        "",
        "runtime_error",
    ),
    "c connect to the broker": (
        "c",
        "#include <stdio.h>\n#include <arpa/inet.h>\n#include <sys/socket.h>\n"
        "int main(){int s=socket(AF_INET,SOCK_STREAM,0); struct sockaddr_in a={0}; a.sin_family=AF_INET;"
        " a.sin_port=htons(5672); a.sin_addr.s_addr=htonl(0x7f000001);"
        ' puts(connect(s,(struct sockaddr*)&a,sizeof a)==0 ? "connected" : "blocked");}\n',
        "blocked\n",
        "accepted",
    ),
    "javascript connect to the broker": (
        "javascript",
        "const s = require('net').connect(5672, '127.0.0.1');\n"
        "s.on('connect', () => { console.log('connected'); process.exit(0); });\n"
        "s.on('error', () => console.log('blocked'));\n",
        "blocked\n",
        "accepted",
    ),
    "java connect to the broker": (
        "java",
        "public class Main { public static void main(String[] a) { try {"
        ' new java.net.Socket("127.0.0.1", 5672); System.out.println("connected"); }'
        ' catch (Exception e) { System.out.println("blocked"); } } }\n',
        "blocked\n",
        "accepted",
    ),
    "javascript reads the environment": (
        "javascript",
        "console.log(Object.keys(process.env).filter(k => !['PATH', 'LANG', 'HOME', 'PWD'].includes(k)).length)\n",
        "0\n",
        "accepted",
    ),
    "c background process left running": (
        "c",
        '#include <stdio.h>\n#include <unistd.h>\nint main(){if(fork()==0){setsid(); for(;;) sleep(1000);} puts("done");}\n',
        "done\n",
        "accepted",
    ),
    "javascript background process left running": (
        "javascript",
        "require('child_process').spawn('/bin/sleep', ['1000'], {detached: true, stdio: 'ignore'}).unref();\n"
        "console.log('done');\n",
        "done\n",
        "accepted",
    ),
    "c killing its parent": (
        "c",
        '#include <stdio.h>\n#include <signal.h>\n#include <unistd.h>\nint main(){kill(getppid(), SIGKILL); kill(1, SIGKILL); puts("55");}\n',
        "55\n",
        "accepted",
    ),
    "killing its parent": (
        "python",
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('55')\n",
        "55\n",
        "accepted",
    ),
}


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[BwrapSandbox]:
    sandbox = BwrapSandbox(Path(tempfile.gettempdir()) / "gradeflow-test-hostile", 61_000, slots=1)
    await sandbox.start()
    yield sandbox
    await sandbox.close()


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
async def test_hostile_program_is_contained(sandbox: BwrapSandbox, case: str) -> None:
    language, source, stdout, expected = HOSTILE[case]
    build = await sandbox.prepare(language, source)
    try:
        assert build.compile_error is None, build.compile_error
        # Python: as a batch, so the fork server's route is the one attacked (single runs start
        # the interpreter afresh, the route the other languages take).
        batch = [""] * (ZYGOTE_FROM if language == "python" else 1)
        for execution in await sandbox.run_all(build, batch, LIMITS):
            assert verdict_of(execution, stdout) == expected, execution
        assert await leftovers(sandbox, [build.uid]) == [], "nothing it started outlives the run"
    finally:
        await sandbox.discard(build)
    for language, program in (("python", SUM_PY), ("c", SUM_C)):
        after = await sandbox.prepare(language, program)
        try:
            assert verdict_of(await sandbox.run(after, "10\n", LIMITS), "55\n") == "accepted"
        finally:
            await sandbox.discard(after)


async def test_the_graders_environment_and_secrets_are_not_visible(
    sandbox: BwrapSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://grader:s3cret@db/gradeflow")
    source = "import os\nprint(sorted(os.environ))\nprint(open('/proc/1/environ').read())\n"
    build = await sandbox.prepare("python", source)
    execution = await sandbox.run(build, "", LIMITS)
    await sandbox.discard(build)
    assert "s3cret" not in execution.stdout + execution.stderr
    assert "DATABASE_URL" not in execution.stdout


async def test_other_processes_are_invisible(sandbox: BwrapSandbox) -> None:
    source = (
        "import json, os\nprint(json.dumps(sorted(int(p) for p in os.listdir('/proc') if p.isdigit())))\n"
    )
    build = await sandbox.prepare("python", source)
    execution = await sandbox.run(build, "", LIMITS)
    await sandbox.discard(build)
    pids = json.loads(execution.stdout)
    assert max(pids) < 10, f"the sandbox sees only its own few processes: {pids}"


async def test_the_system_is_read_only_and_the_user_unprivileged(sandbox: BwrapSandbox) -> None:
    source = (
        "import os\nprint(os.getuid() != 0)\n"
        "try:\n    open('/usr/evil', 'w')\n    print('wrote')\nexcept OSError:\n    print('refused')\n"
        "try:\n    open('/etc/shadow').read()\n    print('read')\nexcept OSError:\n    print('refused')\n"
    )
    build = await sandbox.prepare("python", source)
    execution = await sandbox.run(build, "", LIMITS)
    await sandbox.discard(build)
    assert execution.stdout.split() == ["True", "refused", "refused"]


async def test_a_server_listening_on_the_host_cannot_be_reached(sandbox: BwrapSandbox) -> None:
    """A real listener on 127.0.0.1: the program is refused, and the listener sees no connection."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        build = await sandbox.prepare("python", BLOCKED.format(port=port))
        try:
            execution = await sandbox.run(build, "", LIMITS)
        finally:
            await sandbox.discard(build)
        assert verdict_of(execution, "blocked\n") == "accepted", execution
        with pytest.raises(TimeoutError):
            listener.accept()
        # The listener works: the same connection made from outside the sandbox arrives.
        with socket.create_connection(("127.0.0.1", port), 1):
            conn, _ = listener.accept()
            conn.close()

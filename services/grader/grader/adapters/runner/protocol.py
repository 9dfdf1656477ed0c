"""The runner's protocol, defined once: how the grader calls the in-sandbox runner (runner.c) and
reads its report. The C side gets the exit codes from here as -D flags at compile time.

    runner SECCOMP_FD CPU_FD REPORT_FD LIMITS TESTS [--zygote] -- PROGRAM [ARGS...]
    SECCOMP_FD  the BPF program each test's process loads before the program starts (-1: none)
    CPU_FD      the sandbox cgroup's CPU counter, read before, during and after each test (-1: none)
    LIMITS  cpu_ms,wall_ms,address_space_bytes(0: none),processes,file_bytes,stack_bytes,tmpfs_bytes
    TESTS   in,out,err[,dir];...  descriptors per test, and the directory under /box to run it in
    REPORT  one line per test: "status maxrss_kb cpu_us wall_us timed_out"

Or started ahead of its job (a ready sandbox), as `runner SECCOMP_FD CPU_FD --serve FD`; the job then
comes as one message on FD: the arguments from REPORT_FD on, NUL-separated, with the descriptors attached
and named by their place among them (`job`).
"""

from dataclasses import astuple, dataclass, replace

# The runner's own exit codes (a program's exit code never reaches the grader this way: it is in
# the report's wait status). In a report's status they mean the test never ran its program.
EXIT_USAGE = 125  # called wrongly, or could not set itself up (or the fork server is gone)
EXIT_CHDIR = 126  # could not enter a test's directory
EXIT_EXEC = 127  # could not start the program
EXIT_CODES = {"EXIT_USAGE": EXIT_USAGE, "EXIT_CHDIR": EXIT_CHDIR, "EXIT_EXEC": EXIT_EXEC}


def compile_flags() -> list[str]:
    return [f"-D{name}={value}" for name, value in EXIT_CODES.items()]


@dataclass(frozen=True)
class RunnerLimits:
    cpu_ms: int
    wall_ms: int
    address_space_bytes: int  # 0: not limited (runtimes that reserve far more than they use)
    processes: int
    file_bytes: int
    stack_bytes: int
    tmpfs_bytes: int  # each of /tmp, /dev/shm and /work, mounted afresh for every test

    def encode(self) -> str:
        return ",".join(str(v) for v in astuple(self))

    @classmethod
    def decode(cls, text: str) -> "RunnerLimits":
        return cls(*(int(v) for v in text.split(",")))


@dataclass(frozen=True)
class TestIO:
    __test__ = False  # not a pytest class

    stdin: int
    stdout: int
    stderr: int
    directory: str | None = None  # a checker's per-test folder, relative to /box

    def descriptors(self) -> tuple[int, int, int]:
        return self.stdin, self.stdout, self.stderr


def encode_tests(tests: list[TestIO]) -> str:
    return ";".join(
        ",".join([*(str(fd) for fd in t.descriptors()), *([t.directory] if t.directory else [])])
        for t in tests
    )


def decode_tests(text: str) -> list[TestIO]:
    tests = []
    for part in text.split(";"):
        values = part.split(",")
        tests.append(
            TestIO(int(values[0]), int(values[1]), int(values[2]), values[3] if len(values) > 3 else None)
        )
    return tests


@dataclass(frozen=True)
class Report:
    """One test as the runner saw it."""

    status: int  # the wait status of the test's program
    maxrss_kb: int
    cpu_us: int
    wall_us: int
    timed_out: bool

    def encode(self) -> str:
        return " ".join(str(int(v)) for v in astuple(self))

    @classmethod
    def decode(cls, line: str) -> "Report":
        status, maxrss, cpu, wall, timed_out = (int(x) for x in line.split())
        return cls(status, maxrss, cpu, wall, bool(timed_out))


@dataclass(frozen=True)
class SandboxFds:
    """What the runner holds for every job: the seccomp program and the cgroup's CPU counter."""

    seccomp: int = -1
    cpu: int = -1

    def args(self, runner: str) -> list[str]:
        return [runner, str(self.seccomp), str(self.cpu)]


def argv(
    runner: str,
    report_fd: int,
    limits: RunnerLimits,
    tests: list[TestIO],
    zygote: bool,
    program: list[str],
    fds: SandboxFds = SandboxFds(),
) -> list[str]:
    return [
        *fds.args(runner),
        str(report_fd),
        limits.encode(),
        encode_tests(tests),
        *(["--zygote"] if zygote else []),
        "--",
        *program,
    ]


def serve_argv(runner: str, control_fd: int, fds: SandboxFds = SandboxFds()) -> list[str]:
    return [*fds.args(runner), "--serve", str(control_fd)]


def job(
    report_fd: int, limits: RunnerLimits, tests: list[TestIO], zygote: bool, program: list[str]
) -> tuple[bytes, list[int]]:
    """The message a ready runner takes: its arguments, and the descriptors they name by index."""
    fds = [report_fd, *(fd for t in tests for fd in t.descriptors())]
    indexed = [replace(t, stdin=1 + 3 * i, stdout=2 + 3 * i, stderr=3 + 3 * i) for i, t in enumerate(tests)]
    args = argv("", 0, limits, indexed, zygote, program)[3:]
    return "\0".join(args).encode(), fds


def decode_job(message: bytes) -> list[str]:
    return message.decode().split("\0")

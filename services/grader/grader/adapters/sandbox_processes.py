"""Running one sandbox: starting bwrap as the slot's user, waiting for it (with a safety net),
reading what the runner reported of each test, and reaping what a killed sandbox leaves behind."""

import contextlib
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.adapters.runner import protocol
from grader.adapters.runner.protocol import Report, RunnerLimits, TestIO
from grader.domain.errors import SandboxError
from grader.domain.grading import Execution, Limits
from grader.domain.languages import Language


@dataclass(frozen=True)
class Invocation:
    """One sandbox: bwrap's own arguments, then the runner inside it with the limits and program."""

    bwrap: list[str]
    runner: str
    limits: RunnerLimits
    program: list[str]
    zygote: bool
    seccomp: bytes | None = None  # a BPF program bubblewrap loads before it starts the runner


@dataclass(frozen=True)
class Outcome:
    """One test's run as the runner reported it (or as the grader saw it, when it could not)."""

    status: int
    memory_kb: int
    cpu_ms: float
    wall_ms: float
    timed_out: bool
    reported: bool


def become_subreaper() -> None:
    import ctypes

    pr_set_child_subreaper = 36
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


# Sandboxes this process started and is waiting for itself: never reaped as orphans.
_OWN: set[int] = set()
_OWN_LOCK = threading.Lock()


def reap_orphans(uids: range, killed_uid: int | None = None) -> None:
    """Reap zombie children of this process that belong to the sandbox's users, and only those.
    After a kill, the namespace's processes die asynchronously: wait (bounded) until they have."""
    deadline = time.monotonic() + (1.0 if killed_uid is not None else 0)
    while True:
        remaining = _reap_once(uids, killed_uid)
        if not remaining or time.monotonic() > deadline:
            return
        time.sleep(0.005)


def _reap_once(uids: range, watch_uid: int | None) -> int:
    """One pass; returns how many processes of `watch_uid` were still seen."""
    seen = 0
    for children in Path("/proc/self/task").glob("*/children"):
        try:
            pids = children.read_text().split()
        except OSError:
            continue
        for pid in pids:
            with _OWN_LOCK:
                if int(pid) in _OWN:
                    continue
            try:
                status = (Path("/proc") / pid / "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            uid = int(fields["Uid"].split()[0])
            if uid not in uids:
                continue
            seen += uid == watch_uid
            if fields.get("State", "").strip().startswith("Z"):
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(int(pid), os.WNOHANG)
    return seen


def dropper(uid: int, tests: int, join_cgroup: Callable[[], None] | None = None) -> Callable[[], None]:
    """In the forked child, before bwrap: join the sandbox's cgroup (while still privileged to),
    then become the slot's unprivileged user."""
    descriptors = 3 * tests + 64

    def apply() -> None:
        if join_cgroup is not None:
            join_cgroup()
        resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if os.geteuid() == 0:  # else: already unprivileged, and the user namespace isolates it
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

    return apply


def spawn_and_wait(
    invocation: Invocation,
    io_dir: Path,
    stdins: list[str],
    preexec: Callable[[], None],
    limits: Limits,
    dirs: list[str] | None = None,
) -> list[Outcome]:
    io_dir.mkdir()
    report_r, report_w = os.pipe()
    with _test_files(io_dir, stdins) as triples:
        tests = [TestIO(*triple, directory=dirs[i] if dirs else None) for i, triple in enumerate(triples)]
        inside = protocol.argv(
            invocation.runner, report_w, invocation.limits, tests, invocation.zygote, invocation.program
        )
        filters = [] if invocation.seccomp is None else [_readable(invocation.seccomp)]
        seccomp = [arg for fd in filters for arg in ("--seccomp", str(fd))]
        command = [*invocation.bwrap, *seccomp, "--", *inside]
        passed = (report_w, *(fd for triple in triples for fd in triple), *filters)
        started = time.perf_counter()
        try:
            with _OWN_LOCK:  # registered before a concurrent reaper pass could see it exit
                proc = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    preexec_fn=preexec,
                    start_new_session=True,
                    close_fds=True,
                    pass_fds=passed,
                    env={},
                )
                _OWN.add(proc.pid)
        except BaseException:
            os.close(report_r)
            raise
        finally:  # the sandbox holds its own copies now (or never will)
            for fd in (report_w, *filters):
                os.close(fd)
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    # A safety net over the runner's own per-test wall clock.
    timer = threading.Timer(len(stdins) * limits.wall_clock_ms / 1000 + 5, kill)
    timer.start()
    try:
        assert proc.stderr is not None
        sandbox_errors = proc.stderr.read(4096).decode(errors="replace")
        _, status, _ = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
        with _OWN_LOCK:
            _OWN.discard(proc.pid)
    proc.returncode = status  # reaped here: keep Popen from waiting again
    proc.stderr.close()
    wall_ms = (time.perf_counter() - started) * 1000
    with os.fdopen(report_r, "rb") as report:
        lines = report.read().decode().splitlines()
    if not lines and sandbox_errors.startswith("bwrap:"):
        raise SandboxError(sandbox_errors.strip())
    outcomes = []
    for line in lines:
        r = Report.decode(line)
        outcomes.append(Outcome(r.status, r.maxrss_kb, r.cpu_us / 1000, r.wall_us / 1000, r.timed_out, True))
    # Tests the runner never reported (the sandbox was killed): the run died with it.
    missing = Outcome(signal.SIGKILL, 0, 0.0, wall_ms, killed.is_set(), False)
    return outcomes + [missing] * (len(stdins) - len(outcomes))


def _readable(data: bytes) -> int:
    """A descriptor to read `data` from (bubblewrap reads its seccomp program so)."""
    fd = os.memfd_create("gradeflow-seccomp")
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


@contextlib.contextmanager
def _test_files(io_dir: Path, stdins: list[str]) -> Iterator[list[tuple[int, int, int]]]:
    triples: list[tuple[int, int, int]] = []
    try:
        for i, stdin in enumerate(stdins):
            (io_dir / f"{i}.in").write_text(stdin)
            triples.append(
                (
                    os.open(io_dir / f"{i}.in", os.O_RDONLY),
                    os.open(io_dir / f"{i}.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                    os.open(io_dir / f"{i}.err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                )
            )
        yield triples
    finally:
        for triple in triples:
            for fd in triple:
                os.close(fd)


def _read(path: Path, limit: int) -> tuple[str, int]:
    size = path.stat().st_size
    with path.open("rb") as f:
        return f.read(limit).decode(errors="replace"), size


def execution_of(
    outcome: Outcome, io_dir: Path, index: int, limits: Limits, language: Language, oom: bool = False
) -> Execution:
    """What a test did. `oom`: the sandbox's cgroup saw an out-of-memory kill, which took the
    tests it ended with SIGKILL (the runner kills only on time, and says so)."""
    stdout, out_size = _read(io_dir / f"{index}.out", limits.output_bytes)
    stderr, _ = _read(io_dir / f"{index}.err", limits.output_bytes)
    if os.WIFSIGNALED(outcome.status) or not outcome.reported:
        code, sig = None, os.WTERMSIG(outcome.status) if outcome.reported else signal.SIGKILL
    else:
        code, sig = os.WEXITSTATUS(outcome.status), None
    limit_kb = limits.memory_mb * 1024
    failed = sig is not None or code != 0
    # Under RLIMIT_AS an allocation fails a little below the limit (code and libraries share the
    # address space): a failed run that peaked within 20 % of it ran out of memory.
    memory_exceeded = (
        (oom and sig == signal.SIGKILL and not outcome.timed_out)
        or outcome.memory_kb >= limit_kb
        or (failed and outcome.memory_kb >= 0.8 * limit_kb)
        or any(m in stderr for m in language.memory_markers)
    )
    return Execution(
        exit_code=code,
        signal=sig,
        time_ms=round(outcome.cpu_ms, 2),
        wall_ms=round(outcome.wall_ms, 2),
        memory_kb=outcome.memory_kb,
        stdout=stdout,
        stderr=stderr,
        timed_out=outcome.timed_out or outcome.cpu_ms > limits.time_ms or sig == signal.SIGXCPU,
        output_exceeded=out_size > limits.output_bytes
        or (sig == signal.SIGXFSZ and out_size >= limits.output_bytes),
        memory_exceeded=memory_exceeded,
        parse_failed=code == 1 and _parse_error(stderr, language.parse_errors),
    )


def _parse_error(stderr: str, markers: tuple[str, ...]) -> bool:
    """A parse error is reported without a traceback (an exception raised while running has one)."""
    lines = stderr.strip().splitlines()
    return bool(markers and lines) and not lines[0].startswith("Traceback") and lines[-1].startswith(markers)

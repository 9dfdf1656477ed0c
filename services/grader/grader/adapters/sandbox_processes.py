"""Running one sandbox: starting bwrap as the slot's user (for its job, or ahead of it, to be
handed the job later), waiting for it (with a safety net), reading what the runner reported of
each test, and reaping what a killed sandbox leaves behind."""

import array
import contextlib
import os
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gradeflow_shared.text import storable
from grader.adapters.cgroups import Box
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
    seccomp: bytes | None = None  # a BPF program the runner loads into each test's process
    # The sandbox cgroup's process bound: the program's own processes and threads, plus bwrap and
    # the runner (and the fork server) — exactly, where RLIMIT_NPROC counts the uid host-wide.
    pids: int = 0


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


def launcher_prefix(launcher: str, uid: int, tests: int, box: Box | None) -> list[str]:
    """What starts bwrap in the sandbox's cgroup as the slot's user (runner/launcher.c)."""
    descriptors = 3 * tests + 64
    return [launcher, str(uid), str(descriptors), *(str(f) for f in (box.procs_files() if box else [])), "--"]


class TestFiles:
    """Each test's stdin, stdout and stderr as memory files (memfd): no file to create, open and
    remove on the grader's disk per test (that was a tenth of the grader's own time). The test
    gets its stdin read-only; what it writes is charged, as a file's pages were, to its sandbox."""

    __test__ = False  # not a pytest class

    def __init__(self, stdins: list[str], merge_stderr: bool = False) -> None:
        """`merge_stderr`: the test's stderr is its stdout's file (Judge0's
        redirect_stderr_to_stdout: both as they were written, in order)."""
        self._mine: list[tuple[int, int, int]] = []  # stdin (read-write), stdout, stderr
        self.triples: list[tuple[int, int, int]] = []  # what the sandbox gets
        try:
            for i, stdin in enumerate(stdins):
                source = os.memfd_create(f"stdin-{i}")
                os.write(source, stdin.encode())
                out = os.memfd_create(f"stdout-{i}")
                err = out if merge_stderr else os.memfd_create(f"stderr-{i}")
                self._mine.append((source, out, err))
                readonly = os.open(f"/proc/self/fd/{source}", os.O_RDONLY | os.O_CLOEXEC)
                self.triples.append((readonly, out, err))
        except BaseException:
            self.close()
            raise

    def descriptors(self) -> tuple[int, ...]:
        return tuple(fd for triple in self.triples for fd in triple)

    def read(self, index: int, stream: int, limit: int) -> tuple[str, int, bytes | None]:
        """(up to `limit` bytes of stdout (1) or stderr (2), decoded and storable (text.py); the
        stream's whole size; the bytes themselves when the text could not hold them as written)."""
        fd = self._mine[index][stream]
        if stream == 2 and fd == self._mine[index][1]:
            return "", 0, None  # written into stdout
        data = os.pread(fd, limit, 0)
        text = storable(data.decode(errors="replace"))
        return text, os.fstat(fd).st_size, None if text.encode() == data else data

    def close(self) -> None:
        for fd in {fd for triple in (*self._mine, *self.triples) for fd in triple}:
            os.close(fd)
        self._mine, self.triples = [], []


def spawn_and_wait(
    invocation: Invocation,
    files: TestFiles,
    launcher: list[str],
    limits: Limits,
    dirs: list[str] | None = None,
    cpu: Path | None = None,
) -> list[Outcome]:
    """Start a sandbox for this job and wait for it. `cpu`: its cgroup's CPU counter."""
    report_r, report_w = os.pipe()
    tests = _tests(files.triples, dirs)
    started = time.perf_counter()
    try:
        with _sandbox_fds(invocation.seccomp, cpu) as fds:
            inside = protocol.argv(
                invocation.runner,
                report_w,
                invocation.limits,
                tests,
                invocation.zygote,
                invocation.program,
                fds,
            )
            proc = launch(
                [*launcher, *invocation.bwrap, "--", *inside], (report_w, *files.descriptors(), *fds.open())
            )
    except BaseException:
        os.close(report_r)
        raise
    finally:  # the sandbox holds its own copy now (or never will)
        os.close(report_w)
    return _finish(proc, report_r, len(tests), limits, started)


class NotReady(SandboxError):
    """A sandbox started ahead is gone (it was killed, or could not start): start one afresh."""


def start_serving(
    bwrap: list[str], runner: str, seccomp: bytes | None, launcher: list[str], cpu: Path | None = None
) -> tuple[subprocess.Popen[bytes], socket.socket]:
    """Start a sandbox ahead of its job: its runner waits on the socket returned (`serve_and_wait`)."""
    control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        with _sandbox_fds(seccomp, cpu) as fds:
            inside = protocol.serve_argv(runner, theirs.fileno(), fds)
            proc = launch([*launcher, *bwrap, "--", *inside], (theirs.fileno(), *fds.open()))
    except BaseException:
        control.close()
        raise
    finally:
        theirs.close()
    return proc, control


def serve_and_wait(
    proc: subprocess.Popen[bytes],
    control: socket.socket,
    invocation: Invocation,
    files: TestFiles,
    limits: Limits,
) -> list[Outcome]:
    """Hand the job to a sandbox started ahead (`start_serving`) and wait for it. Raises NotReady
    if that sandbox is gone before it took the job."""
    report_r, report_w = os.pipe()
    tests = _tests(files.triples, None)
    message, fds = protocol.job(report_w, invocation.limits, tests, invocation.zygote, invocation.program)
    started = time.perf_counter()
    try:
        control.sendmsg([message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    except OSError as e:
        os.close(report_r)
        raise NotReady(f"the ready sandbox is gone: {e}") from e
    finally:
        os.close(report_w)
        control.close()
    return _finish(proc, report_r, len(tests), limits, started)


class _Fds(protocol.SandboxFds):
    def open(self) -> tuple[int, ...]:
        return tuple(fd for fd in (self.seccomp, self.cpu) if fd >= 0)


@contextlib.contextmanager
def _sandbox_fds(seccomp: bytes | None, cpu: Path | None) -> Iterator[_Fds]:
    """The runner's descriptors, open while the sandbox starts: the seccomp program (a memory file)
    and the cgroup's CPU counter (opened here, by the grader, so the sandbox's user reads it
    through the descriptor alone and nothing inside can open it)."""
    fds = _Fds(_readable(seccomp) if seccomp is not None else -1, -1)
    try:
        if cpu is not None:
            fds = _Fds(fds.seccomp, os.open(cpu, os.O_RDONLY | os.O_CLOEXEC))
        yield fds
    finally:
        for fd in fds.open():
            os.close(fd)


def launch(command: list[str], passed: tuple[int, ...]) -> subprocess.Popen[bytes]:
    """Start it with no Python in the child (so vfork, and no pause of the grader's threads)."""
    with _OWN_LOCK:  # registered before a concurrent reaper pass could see it exit
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            close_fds=True,
            pass_fds=passed,
            env={},
        )
        _OWN.add(proc.pid)
    return proc


def stop(proc: subprocess.Popen[bytes], control: socket.socket) -> None:
    """End a sandbox that never took a job: its runner leaves when the socket closes (killed if
    it does not within a second), and it is reaped."""
    control.close()
    timer = threading.Timer(1.0, _kill_group, (proc.pid,))
    timer.start()
    try:
        _wait(proc)
    finally:
        timer.cancel()


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _wait(proc: subprocess.Popen[bytes]) -> int:
    try:
        if proc.returncode is not None:
            return proc.returncode
        _, status, _ = os.wait4(proc.pid, 0)
        proc.returncode = status  # reaped here: keep Popen from waiting again
        return status
    finally:
        with _OWN_LOCK:
            _OWN.discard(proc.pid)
        if proc.stderr is not None:
            proc.stderr.close()


def _finish(
    proc: subprocess.Popen[bytes], report_r: int, tests: int, limits: Limits, started: float
) -> list[Outcome]:
    """Wait for the sandbox's end (with a safety net over the runner's own per-test wall clock) and
    read what the runner reported of each test."""
    assert proc.stderr is not None
    sandbox_errors, killed = _errors_until_closed(
        proc, proc.stderr.fileno(), started + tests * limits.wall_clock_ms / 1000 + 5
    )
    _wait(proc)
    wall_ms = (time.perf_counter() - started) * 1000
    with os.fdopen(report_r, "rb") as report:
        lines = report.read().decode().splitlines()
    if not lines and sandbox_errors.startswith(("bwrap:", "launcher:")):
        raise SandboxError(sandbox_errors.strip())
    outcomes = []
    for line in lines:
        r = Report.decode(line)
        outcomes.append(Outcome(r.status, r.maxrss_kb, r.cpu_us / 1000, r.wall_us / 1000, r.timed_out, True))
    # Tests the runner never reported (the sandbox was killed): the run died with it.
    missing = Outcome(signal.SIGKILL, 0, 0.0, wall_ms, killed, False)
    return outcomes + [missing] * (tests - len(outcomes))


def _errors_until_closed(proc: subprocess.Popen[bytes], stderr: int, deadline: float) -> tuple[str, bool]:
    """Read what bubblewrap says (its first 4 KiB) until every process of the sandbox has closed
    its stderr, killing the sandbox if that is not by `deadline` (perf_counter): the safety net,
    without a timer thread per sandbox. (What it said, whether it was killed.)"""
    said, killed = b"", False
    poller = select.poll()
    poller.register(stderr, select.POLLIN | select.POLLHUP)
    while True:
        left = deadline - time.perf_counter()
        if left <= 0 and not killed:
            _kill_group(proc.pid)
            killed = True
        if killed and left < -5:  # killed and still not closed: stop waiting for it here
            return said.decode(errors="replace"), killed
        if poller.poll(max(left, 0.05) * 1000 if not killed else 1000):
            chunk = os.read(stderr, 4096)
            if not chunk:
                return said.decode(errors="replace"), killed
            said += chunk[: max(0, 4096 - len(said))]


def _tests(triples: list[tuple[int, int, int]], dirs: list[str] | None) -> list[TestIO]:
    return [TestIO(*triple, directory=dirs[i] if dirs else None) for i, triple in enumerate(triples)]


def _readable(data: bytes) -> int:
    """A descriptor to read `data` from (the runner reads its seccomp program so)."""
    fd = os.memfd_create("gradeflow-seccomp")
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def execution_of(
    outcome: Outcome, files: TestFiles, index: int, limits: Limits, language: Language, oom: bool = False
) -> Execution:
    """What a test did. `oom`: the sandbox's cgroup saw an out-of-memory kill, which took the
    tests it ended with SIGKILL (the runner kills only on time, and says so)."""
    stdout, out_size, stdout_bytes = files.read(index, 1, limits.output_bytes)
    stderr, _, stderr_bytes = files.read(index, 2, limits.output_bytes)
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
        stdout_bytes=stdout_bytes,
        stderr_bytes=stderr_bytes,
    )


def _parse_error(stderr: str, markers: tuple[str, ...]) -> bool:
    """A parse error is reported without a traceback (an exception raised while running has one)."""
    lines = stderr.strip().splitlines()
    return bool(markers and lines) and not lines[0].startswith("Traceback") and lines[-1].startswith(markers)

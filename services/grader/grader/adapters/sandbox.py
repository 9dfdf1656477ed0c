"""The bubblewrap sandbox: every compile and every run in fresh namespaces (user, PID, network,
IPC, UTS, mount), as an unprivileged user of its own, with a clean environment, a read-only view of
the system, the submission's directory as its only writable place, and rlimits on CPU, memory,
processes, file size, stack and open files. When the run's first process ends, the PID namespace
ends with it: nothing the program started outlives it. docs/sandbox.md says what this does and does
not isolate.
"""

import asyncio
import contextlib
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from grader.domain.grading import Build, CheckInput, Execution, Limits
from grader.domain.languages import LANGUAGES, Language

BOX = "/box"
RUNNER = "/.gradeflow-runner"
ZYGOTE = "/.gradeflow-zygote.py"
ZYGOTE_FROM = 3  # tests
REPORT_FD = "{report_fd}"  # replaced by the pipe on which the runner reports status, memory, CPU
TESTS = "{tests}"  # replaced by the descriptors of each test's stdin, stdout and stderr
BATCH = 50  # tests per sandbox: three descriptors each
RUNNER_SOURCE = Path(__file__).parent / "runner" / "runner.c"
ZYGOTE_SOURCE = Path(__file__).parent / "runner" / "zygote.py"
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": BOX}
READ_ONLY = (
    "/usr",
    "/etc/alternatives",
    "/etc/java-17-openjdk",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
)
CHECK_ARGS = ("input", "output", "expected")  # testlib's order, as file names in the test's folder
COMPILE_LIMITS = Limits(time_ms=15_000, memory_mb=1024, output_bytes=256 * 1024, processes=64)


class SandboxError(Exception):
    """The sandbox itself failed (not the program): an Internal Error, and worth a retry."""


@dataclass(frozen=True)
class _Outcome:
    """One test's run as the runner reported it (or as the grader saw it, when it could not)."""

    status: int
    memory_kb: int
    cpu_ms: float
    wall_ms: float
    timed_out: bool
    reported: bool


def _become_subreaper() -> None:
    import ctypes

    pr_set_child_subreaper = 36
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


# Sandboxes this process started and is waiting for itself: never reaped as orphans.
_OWN: set[int] = set()
_OWN_LOCK = threading.Lock()


def _reap_orphans(uids: range, killed_uid: int | None = None) -> None:
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


def _build_runner(root: Path) -> Path:
    """Compile the in-sandbox runner once per grader start (a few ms of gcc)."""
    target = root / "runner"
    if not target.exists() or target.stat().st_mtime < RUNNER_SOURCE.stat().st_mtime:
        tmp = root / f"runner.{os.getpid()}"
        subprocess.run(
            ["gcc", "-O2", "-static-pie", "-o", str(tmp), str(RUNNER_SOURCE)],
            check=False,
            capture_output=True,
        )
        if not tmp.exists():
            subprocess.run(
                ["gcc", "-O2", "-o", str(tmp), str(RUNNER_SOURCE)], check=True, capture_output=True
            )
        tmp.chmod(0o755)
        tmp.replace(target)
    return target


def _install_zygote(root: Path) -> Path:
    """A copy the sandbox's users can read, wherever the grader's own files live."""
    target = root / "zygote.py"
    tmp = root / f"zygote.{os.getpid()}"
    shutil.copyfile(ZYGOTE_SOURCE, tmp)
    tmp.chmod(0o644)
    tmp.replace(target)
    return target


class BwrapSandbox:
    def __init__(
        self,
        root: Path | None = None,
        uid_base: int = 60_000,
        slots: int = 8,
        bwrap: str = "/usr/bin/bwrap",
        zygote: bool = True,
    ) -> None:
        if shutil.which(bwrap) is None:
            raise SandboxError(f"{bwrap} not found: install bubblewrap (see README)")
        self._bwrap = bwrap
        self._root = root or Path(tempfile.gettempdir()) / "gradeflow-sandbox"
        self._root.mkdir(mode=0o711, parents=True, exist_ok=True)
        # One unprivileged uid per concurrent build: a process limit or a stray file of one
        # submission never touches another's.
        self._uids: asyncio.Queue[int] = asyncio.Queue()
        for i in range(slots):
            self._uids.put_nowait(uid_base + i)
        self._read_only = [p for p in READ_ONLY if os.path.exists(p)]
        self._runner = _build_runner(self._root)
        self._zygote = _install_zygote(self._root) if zygote else None
        self._uid_range = range(uid_base, uid_base + slots)
        # Orphans of a killed sandbox come back to the grader, to be reaped (_reap_orphans)
        # rather than linger as zombies counted against the next run's process limit.
        _become_subreaper()

    async def prepare(self, language_id: str, source: str, within: Build | None = None) -> Build:
        """Write the source into a fresh directory and compile it once (for compiled languages).
        `within`: a checker, prepared inside its submission's directory and slot (one uid per
        submission, so a checker never waits for a slot its own submission holds)."""
        language = LANGUAGES[language_id]
        uid = within.uid if within else await self._uids.get()
        parent = Path(within.path) if within else self._root
        workdir = await asyncio.to_thread(self._new_workdir, parent, language, source, uid)
        build = Build(language_id=language_id, path=str(workdir), uid=uid, owns_slot=within is None)
        if language.compile is None:
            return build
        [result] = await self._execute(
            build, language.compile, [""], COMPILE_LIMITS, language, compiling=True
        )
        if result.exit_code != 0 or result.signal is not None:
            message = (result.stderr or result.stdout or "compilation failed").strip()
            if result.timed_out:
                message = "compilation exceeded its time limit"
            return replace(build, compile_error=message[:8192])
        return build

    def _new_workdir(self, parent: Path, language: Language, source: str, uid: int) -> Path:
        workdir = Path(tempfile.mkdtemp(prefix="build-", dir=parent))
        workdir.chmod(0o711)  # the sandbox user may pass through to its box, not list or write
        box = workdir / "box"
        box.mkdir()
        (box / language.source_file).write_text(source)
        if os.geteuid() == 0:
            os.chown(box, uid, uid)
            os.chown(box / language.source_file, uid, uid)
        return workdir

    async def run(self, build: Build, stdin: str, limits: Limits) -> Execution:
        return (await self.run_all(build, [stdin], limits))[0]

    async def run_all(self, build: Build, stdins: list[str], limits: Limits) -> list[Execution]:
        """Run the build once per stdin, all inside one sandbox (namespaces built once)."""
        language = LANGUAGES[build.language_id]
        # The fork server costs one interpreter start-up plus a little: it pays from 3 tests on.
        forked = self._zygote is not None and language.zygote is not None and len(stdins) >= ZYGOTE_FROM
        command = language.zygote if forked and language.zygote else language.run
        argv = tuple(a.format(memory_mb=limits.memory_mb) for a in command)
        results: list[Execution] = []
        for start in range(0, len(stdins), BATCH):
            results += await self._execute(
                build, argv, stdins[start : start + BATCH], limits, language, False, zygote=forked
            )
        return results

    async def check_all(self, checker: Build, cases: list[CheckInput], limits: Limits) -> list[Execution]:
        """Run the checker once per case, as `checker input output expected` in a directory of the
        case's three files (t0, t1, … under its box), all inside one sandbox."""
        language = LANGUAGES[checker.language_id]
        box = Path(checker.path) / "box"
        dirs = await asyncio.to_thread(_write_check_files, box, cases)
        argv = (*(a.format(memory_mb=limits.memory_mb) for a in language.run), *CHECK_ARGS)
        results: list[Execution] = []
        for start in range(0, len(cases), BATCH):
            chunk = dirs[start : start + BATCH]
            results += await self._execute(checker, argv, [""] * len(chunk), limits, language, False, chunk)
        return results

    async def discard(self, build: Build) -> None:
        try:
            await asyncio.to_thread(shutil.rmtree, build.path, True)
        finally:
            if build.owns_slot:  # a checker's slot is its submission's, returned with it
                self._uids.put_nowait(build.uid)

    async def _execute(
        self,
        build: Build,
        argv: tuple[str, ...],
        stdins: list[str],
        limits: Limits,
        language: Language,
        compiling: bool,
        dirs: list[str] | None = None,
        zygote: bool = False,
    ) -> list[Execution]:
        io_dir = Path(build.path) / f"io-{time.monotonic_ns()}"
        try:
            command = self._command(Path(build.path) / "box", argv, limits, language, compiling, zygote)
            preexec = _dropper(build.uid, len(stdins))
            outcomes = await asyncio.to_thread(
                _spawn_and_wait, command, io_dir, stdins, preexec, limits, dirs
            )
            await asyncio.to_thread(
                _reap_orphans, self._uid_range, build.uid if any(o.timed_out for o in outcomes) else None
            )
            return [_execution(o, io_dir, i, limits, language) for i, o in enumerate(outcomes)]
        finally:
            await asyncio.to_thread(shutil.rmtree, io_dir, True)

    def _command(
        self,
        box: Path,
        argv: tuple[str, ...],
        limits: Limits,
        language: Language,
        compiling: bool,
        zygote: bool = False,
    ) -> list[str]:
        command = [
            self._bwrap,
            "--unshare-all",  # user, PID, network, IPC, UTS, cgroup namespaces
            "--die-with-parent",
            "--new-session",
            "--as-pid-1",  # the runner is PID 1: when it ends, the namespace and all in it end
            "--clearenv",
            "--hostname",
            "sandbox",
        ]
        for path in self._read_only:
            command += ["--ro-bind", path, path]
        command += [
            "--symlink",
            "usr/bin",
            "/bin",
            "--symlink",
            "usr/lib",
            "/lib",
            "--symlink",
            "usr/lib64",
            "/lib64",
        ]
        command += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        command += ["--ro-bind", str(self._runner), RUNNER]
        if zygote and self._zygote is not None:
            command += ["--ro-bind", str(self._zygote), ZYGOTE]
        command += ["--bind", str(box), BOX, "--chdir", BOX]
        for key, value in CLEAN_ENV.items():
            command += ["--setenv", key, value]
        return [
            *command,
            "--",
            RUNNER,
            REPORT_FD,
            _runner_limits(limits, language, compiling),
            TESTS,
            *(["--zygote"] if zygote else []),
            "--",
            *argv,
        ]


def _runner_limits(limits: Limits, language: Language, compiling: bool) -> str:
    """The per-test limits the runner applies to each run (see runner.c)."""
    address_space = limits.memory_mb * 1024 * 1024 if language.limit_address_space else 0
    # The runner and bwrap count against the process limit too.
    processes = limits.processes + language.extra_processes + (64 if compiling else 0) + 3
    # Output goes to files too: the cap must let it pass the output limit to be measured.
    file_bytes = max(limits.file_bytes, limits.output_bytes + 1)
    values = (limits.time_ms, limits.wall_clock_ms, address_space, processes, file_bytes, limits.stack_bytes)
    return ",".join(str(v) for v in values)


def _dropper(uid: int, tests: int) -> Callable[[], None]:
    """In the forked child, before bwrap: become the slot's unprivileged user."""
    descriptors = 3 * tests + 64

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if os.geteuid() == 0:  # else: already unprivileged, and the user namespace isolates it
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

    return apply


def _spawn_and_wait(
    command: list[str],
    io_dir: Path,
    stdins: list[str],
    preexec: Callable[[], None],
    limits: Limits,
    dirs: list[str] | None = None,
) -> list[_Outcome]:
    io_dir.mkdir()
    report_r, report_w = os.pipe()
    with _test_files(io_dir, stdins) as triples:
        specs = [",".join(str(fd) for fd in triple) for triple in triples]
        tests = (
            ";".join(f"{spec},{d}" for spec, d in zip(specs, dirs, strict=True)) if dirs else ";".join(specs)
        )
        command = [str(report_w) if p == REPORT_FD else tests if p == TESTS else p for p in command]
        passed = (report_w, *(fd for triple in triples for fd in triple))
        started = time.perf_counter()
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
    os.close(report_w)
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
        st, mem, cpu_us, wall_us, timed_out = (int(x) for x in line.split())
        outcomes.append(_Outcome(st, mem, cpu_us / 1000, wall_us / 1000, bool(timed_out), True))
    # Tests the runner never reported (the sandbox was killed): the run died with it.
    missing = _Outcome(signal.SIGKILL, 0, 0.0, wall_ms, killed.is_set(), False)
    return outcomes + [missing] * (len(stdins) - len(outcomes))


def _write_check_files(box: Path, cases: list[CheckInput]) -> list[str]:
    dirs = []
    for i, case in enumerate(cases):
        folder = box / f"t{i}"
        folder.mkdir(mode=0o755)
        for name, text in zip(CHECK_ARGS, case, strict=True):
            (folder / name).write_text(text)
        dirs.append(folder.name)
    return dirs


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


def _execution(outcome: _Outcome, io_dir: Path, index: int, limits: Limits, language: Language) -> Execution:
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
        outcome.memory_kb >= limit_kb
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
    )

"""The bubblewrap sandbox: every compile and every run in fresh namespaces (user, PID, network,
IPC, UTS, mount), as an unprivileged user of its own, with a clean environment, a read-only view of
the system, the submission's directory as its only writable place, and rlimits on CPU, memory,
processes, file size, stack and open files. When the run's first process ends, the PID namespace
ends with it: nothing the program started outlives it. Runs of a slot's build take a sandbox
started ahead for the slot (sandbox_pool.py). docs/sandbox.md says what this does and does not
isolate.
"""

import asyncio
import contextlib
import hashlib
import itertools
import logging
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gradeflow_shared import program_args
from gradeflow_shared.events import RUN_FILE_NAME
from grader.adapters import seccomp
from grader.adapters.cgroups import Box, Cgroups, CgroupWanted, detect
from grader.adapters.runner.protocol import RunnerLimits, compile_flags
from grader.adapters.sandbox_pool import Ready, ReadySandboxes
from grader.adapters.sandbox_processes import (
    Invocation,
    NotReady,
    Outcome,
    TestFiles,
    become_subreaper,
    execution_of,
    launcher_prefix,
    reap_orphans,
    serve_and_wait,
    spawn_and_wait,
    start_serving,
)
from grader.domain.errors import InvalidRun, SandboxError
from grader.domain.grading import DISK_BYTES, PLAIN, Build, BuildOptions, CheckInput, Execution, Limits
from grader.domain.languages import Language, language_of, main_class

__all__ = ["ZYGOTE_FROM", "BwrapSandbox"]
log = logging.getLogger(__name__)

BOX = "/box"
WORK = "/work"  # a run's working directory
WRITABLE = ("/tmp", "/dev/shm", WORK)  # as runner.c's WRITABLE
RUNNER = "/.gradeflow-runner"
ZYGOTE = "/.gradeflow-zygote.py"
ZYGOTE_FROM = 3  # tests
BATCH = 50  # tests per sandbox: three descriptors each
RUNNER_SOURCE = Path(__file__).parent / "runner" / "runner.c"
LAUNCHER_SOURCE = Path(__file__).parent / "runner" / "launcher.c"
ZYGOTE_SOURCE = Path(__file__).parent / "runner" / "zygote.py"
PYLINTRC = Path(__file__).parent / "runner" / "pylintrc"  # the sandbox's /etc/pylintrc
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": WORK}
READ_ONLY = (
    "/usr",
    "/etc/alternatives",
    "/etc/java-17-openjdk",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/fonts",  # fontconfig's (Matplotlib draws text)
    "/etc/matplotlibrc",  # Debian's Matplotlib keeps its defaults there
)
CHECK_ARGS = ("input", "output", "expected")  # testlib's order, as file names in the test's folder
COMPILE_LIMITS = Limits(time_ms=15_000, memory_mb=1024, output_bytes=256 * 1024, processes=64)
_instances = itertools.count()  # slot directories of sandboxes in one process stay apart


def _build(root: Path, source: Path) -> Path:
    """Compile the in-sandbox runner or the launcher with the protocol's constants, once per source
    and flags."""
    flags = compile_flags()
    digest = hashlib.sha256(source.read_bytes() + " ".join(flags).encode()).hexdigest()[:12]
    target = root / f"{source.stem}-{digest}"
    if not target.exists():
        tmp = root / f"{source.stem}.{os.getpid()}"
        for static in (["-static-pie"], []):  # static where the toolchain can, else dynamic
            subprocess.run(
                ["gcc", "-O2", *static, *flags, "-o", str(tmp), str(source)],
                check=False,
                capture_output=True,
            )
            if tmp.exists():
                break
        else:
            raise SandboxError(f"{source} does not compile")
        tmp.chmod(0o755)
        tmp.replace(target)
    return target


def _install(root: Path, source: Path) -> Path:
    """A copy the sandbox's users can read, wherever the grader's own files live."""
    target = root / source.name
    tmp = root / f"{source.name}.{os.getpid()}"
    shutil.copyfile(source, tmp)
    tmp.chmod(0o644)
    tmp.replace(target)
    return target


class BwrapSandbox:
    """Construction only records the settings; `start()` (at the service's start-up) checks
    bubblewrap, compiles the runner and makes the grader the subreaper of what it starts."""

    def __init__(
        self,
        root: Path | None = None,
        uid_base: int = 60_000,
        slots: int = 8,
        bwrap: str = "/usr/bin/bwrap",
        zygote: bool = True,
        cgroup: CgroupWanted = "auto",
        allow_no_cgroup: bool = False,
        ready: bool = True,
    ) -> None:
        self._bwrap = bwrap
        self._root = root or Path(tempfile.gettempdir()) / "gradeflow-sandbox"
        # A slot's build lives in a directory of its own that outlasts it: a sandbox started ahead
        # for the slot has its box bound already.
        self._slots = self._root / f"grader-{os.getpid()}-{next(_instances)}"
        # One unprivileged uid per concurrent build: a process limit or a stray file of one
        # submission never touches another's.
        self._uids: asyncio.Queue[int] = asyncio.Queue()
        for i in range(slots):
            self._uids.put_nowait(uid_base + i)
        self._uid_range = range(uid_base, uid_base + slots)
        self._read_only = [p for p in READ_ONLY if os.path.exists(p)]
        self._with_zygote = zygote
        self._cgroup_wanted: CgroupWanted = cgroup
        self._allow_no_cgroup = allow_no_cgroup
        self.cgroups = Cgroups("none", ())
        self._seccomp: bytes | None = None
        self._runner: Path | None = None
        self._launcher: Path | None = None
        self._zygote: Path | None = None
        self._pylintrc: Path | None = None
        self._pool: ReadySandboxes[Ready] | None = ReadySandboxes(self._start_ready) if ready else None

    async def start(self) -> None:
        if shutil.which(self._bwrap) is None:
            raise SandboxError(f"{self._bwrap} not found: install bubblewrap (see README)")
        self._root.mkdir(mode=0o711, parents=True, exist_ok=True)
        _require_own(self._root)
        self._runner = await asyncio.to_thread(_build, self._root, RUNNER_SOURCE)
        self._launcher = await asyncio.to_thread(_build, self._root, LAUNCHER_SOURCE)
        self._zygote = _install(self._root, ZYGOTE_SOURCE) if self._with_zygote else None
        self._pylintrc = _install(self._root, PYLINTRC)
        self._seccomp = await asyncio.to_thread(seccomp.program)
        self.cgroups = await asyncio.to_thread(detect, self._cgroup_wanted)
        if self.cgroups.mode == "none" and not self._allow_no_cgroup:
            raise SandboxError(
                "no usable cgroup (v2 with memory, pids and cpu delegated, "
                "or v1 memory, pids, cpu and cpuacct writable): "
                "memory would be bounded by rlimits alone; set SANDBOX_ALLOW_NO_CGROUP=true to accept that"
            )
        await asyncio.to_thread(self._make_slots)
        log.info("sandbox: bubblewrap, seccomp, %s", self.cgroups.describe())
        # Orphans of a killed sandbox come back to the grader, to be reaped (reap_orphans)
        # rather than linger as zombies counted against the next run's process limit.
        become_subreaper()
        if self._pool is not None:
            for uid in self._uid_range:
                self._pool.refill(uid, DISK_BYTES)

    async def close(self) -> None:
        """Let the sandboxes started ahead go (at the service's shutdown)."""
        if self._pool is not None:
            await self._pool.close()

    async def ready_pids(self) -> set[int]:
        """The processes of sandboxes started ahead, waiting for a job (they run as slot users)."""
        return await self._pool.pids() if self._pool is not None else set()

    def _make_slots(self) -> None:
        for stale in self._root.glob("grader-*-*"):
            if stale == self._slots or not Path(f"/proc/{stale.name.split('-')[1]}").exists():
                shutil.rmtree(stale, ignore_errors=True)  # left by a grader that is gone
        for uid in self._uid_range:
            box = self._slots / str(uid) / "box"
            box.mkdir(parents=True)
            box.parent.chmod(0o711)  # the sandbox user may pass through to its box, not list or write
            if os.geteuid() == 0:
                os.chown(box, uid, uid)
        self._slots.chmod(0o711)

    async def prepare(
        self,
        language_id: str,
        source: str,
        within: Build | None = None,
        how: BuildOptions = PLAIN,
    ) -> Build:
        """Write the source into an empty box (the slot's own) and compile it once (for compiled languages).
        `within`: a checker, prepared inside its submission's directory and slot (one uid per
        submission, so a checker never waits for a slot its own submission holds). What the
        compiler writes counts against `disk_bytes`, as what a run writes does."""
        files, jobe, disk_bytes = how.files, how.jobe, how.disk_bytes
        try:
            options = program_args.compiler_options(language_id, tuple(how.compile_options))
            arguments = program_args.arguments(tuple(how.args))
            if jobe is not None:
                program_args.compiler_words(language_id, (*(jobe.compile_args or ()), *jobe.link_args))
                program_args.arguments(jobe.interpreter_args or ())
        except ValueError as exc:
            raise InvalidRun(str(exc)) from None
        main = main_class(language_id, source)
        language = language_of(language_id, main, jobe)
        uid = within.uid if within else await self._uids.get()
        parent = Path(within.path) if within else self._root
        try:
            workdir = await asyncio.to_thread(
                self._new_workdir, parent, language, source, uid, within is None, files
            )
        except BaseException:
            if within is None:
                self._uids.put_nowait(uid)
            raise
        build = Build(
            language_id=language_id,
            path=str(workdir),
            uid=uid,
            owns_slot=within is None,
            with_files=bool(files),
            main=main,
            args=arguments,
            jobe=jobe,
            merge_stderr=how.merge_stderr,
        )
        if language.compile is None or (language.compile_if and language.compile_if not in dict(files)):
            return build
        try:
            # What the compiler writes: any one file, and all of them, within the disk limit.
            limits = replace(COMPILE_LIMITS, file_bytes=disk_bytes, disk_bytes=disk_bytes)
            compile_argv = language.compile if jobe else (*language.compile, *options)
            [result] = await self._execute(build, compile_argv, [""], limits, language, compiling=True)
            used = await asyncio.to_thread(_disk_used, Path(build.path) / "box")
        except BaseException:
            await self.discard(build)  # a sandbox that failed to compile must not keep its slot
            raise
        if result.exit_code != 0 or result.signal is not None:
            message = (result.stderr or result.stdout or "compilation failed").strip()
            if result.timed_out:
                message = "compilation exceeded its time limit"
            return replace(build, compile_error=message[:8192])
        if used > disk_bytes:
            error = f"the build's files take {used >> 10} KB, over the disk limit of {disk_bytes >> 10} KB"
            return replace(build, compile_error=error)
        return build

    def _new_workdir(
        self,
        parent: Path,
        language: Language,
        source: str,
        uid: int,
        own: bool,
        files: Sequence[tuple[str, bytes]],
    ) -> Path:
        """The build's directory: its slot's (emptied by `discard`), or a checker's inside its
        submission's."""
        if own:
            workdir = self._slots / str(uid)
            _empty(workdir / "box")  # (`discard` emptied it; a discard that failed must not poison the slot)
        else:
            workdir = Path(tempfile.mkdtemp(prefix="build-", dir=parent))
            workdir.chmod(0o711)  # the sandbox user may pass through to its box, not list or write
            (workdir / "box").mkdir()
        box = workdir / "box"
        # Created, never followed: the box is the sandbox user's (a link left in it is not ours to follow).
        written = [(language.source_file, source.encode())] if language.source_file else []
        for name, content in files:
            # Checked here too (the event is not validated on receipt): a plain name, never the
            # program's own, never a path.
            if not re.fullmatch(RUN_FILE_NAME, name) or name in {n for n, _ in written}:
                raise InvalidRun(f"file name not allowed: {name!r}")
            written.append((name, content))
        for name, content in written:
            fd = os.open(box / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            if os.geteuid() == 0:
                os.chown(box / name, uid, uid)
        if os.geteuid() == 0:
            os.chown(box, uid, uid)
        return workdir

    async def run(self, build: Build, stdin: str, limits: Limits) -> Execution:
        return (await self.run_all(build, [stdin], limits))[0]

    async def run_all(self, build: Build, stdins: list[str], limits: Limits) -> list[Execution]:
        """Run the build once per stdin, all inside one sandbox (namespaces built once)."""
        language = language_of(build.language_id, build.main, build.jobe)
        # The fork server costs one interpreter start-up plus a little: it pays from 3 tests on.
        forked = (
            self._zygote is not None
            and language.zygote is not None
            and len(stdins) >= ZYGOTE_FROM
            and not build.args
        )
        command = language.zygote if forked and language.zygote else language.run
        argv = (*(a.format(memory_mb=limits.memory_mb) for a in command), *build.args)
        results: list[Execution] = []
        for start in range(0, len(stdins), BATCH):
            results += await self._execute(
                build, argv, stdins[start : start + BATCH], limits, language, False, zygote=forked
            )
        return results

    async def check_all(self, checker: Build, cases: list[CheckInput], limits: Limits) -> list[Execution]:
        """Run the checker once per case, as `checker input output expected` in a directory of the
        case's three files (t0, t1, … under its box), all inside one sandbox."""
        language = language_of(checker.language_id, checker.main, checker.jobe)
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
            if build.owns_slot:  # its directory and box stay, for the slot's next build
                await asyncio.to_thread(_empty, Path(build.path), keep="box")
                await asyncio.to_thread(_empty, Path(build.path) / "box")
            else:
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
        if self._runner is None:
            raise SandboxError("the sandbox was not started")
        invocation = Invocation(
            self._bwrap_args(
                Path(build.path) / "box", zygote, compiling, limits.disk_bytes, build.with_files
            ),
            RUNNER,
            _runner_limits(limits, language, compiling, self._pool is not None),
            list(argv),
            zygote,
            self._seccomp,
            limits.processes + language.extra_processes + (64 if compiling else 0) + 2 + int(zygote),
        )
        # A run of the slot's own build (not a compile, not a checker) may take the slot's ready
        # sandbox, started for exactly that.
        # (Not one with files beside it: a ready sandbox's working directory is /work.)
        pool = (
            self._pool
            if build.owns_slot and not compiling and dirs is None and not build.with_files
            else None
        )
        ready = await pool.take(build.uid, limits.disk_bytes) if pool is not None else None
        job = _Job(build, invocation, stdins, limits, language, dirs)
        try:
            # One hop to a worker thread for the whole of it: each hop costs a fraction of a
            # millisecond, which a lone run's few milliseconds feel.
            return await asyncio.to_thread(self._run_job, job, ready)
        finally:
            # The slot's next, started once this one is done: started while it runs, it would
            # take CPU and the kernel's namespace and cgroup locks from the run being timed.
            if pool is not None:
                pool.refill(build.uid, limits.disk_bytes)

    def _run_job(self, job: "_Job", ready: Ready | None) -> list[Execution]:
        """(Blocking.) One sandbox's job: in the ready sandbox if there is one (and it is still
        there), else in one started now; each in a cgroup of its own. What a killed sandbox leaves
        comes back to the grader, which reaps it before removing the cgroup (a cgroup with
        processes, zombies included, cannot be removed)."""
        files = TestFiles(job.stdins, merge_stderr=job.build.merge_stderr)
        memory = _cgroup_bytes(job.limits, job.language)
        box: Box | None = None
        try:
            outcomes = None
            if ready is not None:
                box = ready.box
                try:
                    outcomes = _serve(ready, job.invocation, files, job.limits, memory)
                except NotReady as e:
                    log.warning("%s; starting a sandbox afresh", e)
                    ready.dispose()
                    box = None
                    files.close()  # whatever the lost attempt wrote is not this run's
                    files = TestFiles(job.stdins, merge_stderr=job.build.merge_stderr)
            if outcomes is None:
                box = self.cgroups.box(memory, job.invocation.pids)
                launcher = self._launcher_prefix(job.build.uid, len(job.stdins), box)
                cpu = box.cpu_counter() if box is not None else None
                outcomes = spawn_and_wait(job.invocation, files, launcher, job.limits, job.dirs, cpu)
            oom = box is not None and box.usage().oom_kills > 0
            # A sandbox killed on time or by the kernel's OOM killer dies asynchronously, its
            # processes coming back to the grader: wait (bounded) until they have been reaped.
            killed = job.build.uid if oom or any(o.timed_out for o in outcomes) else None
            reap_orphans(self._uid_range, killed)
            return [execution_of(o, files, i, job.limits, job.language, oom) for i, o in enumerate(outcomes)]
        finally:
            if box is not None:
                box.remove()
            files.close()

    def _start_ready(self, uid: int, disk_bytes: int) -> Ready:
        """A sandbox for the slot's next run, started ahead (on the pool's thread): the slot's box
        read-only, the fork server's file, tmpfs of `disk_bytes`; its cgroup capped when the job
        comes. Its runner waits for the job (runner.c, --serve)."""
        assert self._runner is not None
        box = self.cgroups.box()
        try:
            bwrap = self._bwrap_args(self._slots / str(uid) / "box", True, False, disk_bytes)
            launcher = self._launcher_prefix(uid, BATCH, box)
            cpu = box.cpu_counter() if box is not None else None
            proc, control = start_serving(bwrap, RUNNER, self._seccomp, launcher, cpu)
        except BaseException:
            if box is not None:
                box.remove()
            raise
        return Ready(proc, control, box, disk_bytes)

    def _launcher_prefix(self, uid: int, tests: int, box: Box | None) -> list[str]:
        assert self._launcher is not None
        return launcher_prefix(str(self._launcher), uid, tests, box)

    def _bwrap_args(
        self, box: Path, zygote: bool, compiling: bool, disk_bytes: int, in_box: bool = False
    ) -> list[str]:
        """bubblewrap's own arguments: the namespaces, the read-only system and root, the box
        (writable only to the compiler), and size-capped tmpfs for every place a run may write."""
        assert self._runner is not None
        command = [
            self._bwrap,
            "--unshare-all",  # PID, network, IPC, UTS, cgroup namespaces
            "--unshare-user",  # (--unshare-all only tries it; --disable-userns needs it for sure)
            "--disable-userns",  # and no user namespace inside it: the door of most escapes
            "--die-with-parent",
            "--new-session",
            "--as-pid-1",  # the runner is PID 1: when it ends, the namespace and all in it end
            # The runner's (in the sandbox's user namespace only): each test gets fresh mounts and
            # IPC; the runner drops it, with every other, in the test's process (runner.c).
            "--cap-add",
            "CAP_SYS_ADMIN",
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
        command += ["--proc", "/proc", "--dev", "/dev"]
        # The mount points: every test mounts fresh tmpfs of this size on them (runner.c), whose
        # memory is charged to the sandbox's cgroup.
        for place in WRITABLE:
            command += ["--size", str(disk_bytes), "--tmpfs", place]
        command += ["--ro-bind", str(self._runner), RUNNER]
        if self._pylintrc is not None:
            command += ["--ro-bind", str(self._pylintrc), "/etc/pylintrc"]
        if zygote and self._zygote is not None:
            command += ["--ro-bind", str(self._zygote), ZYGOTE]
        if compiling:
            command += ["--bind", str(box), BOX, "--chdir", BOX]
        else:  # the build as the compiler left it, for every test alike
            # With files beside the program, it starts among them (read-only; /work takes writes).
            command += ["--ro-bind", str(box), BOX, "--chdir", BOX if in_box else WORK]
        command += ["--remount-ro", "/"]
        for key, value in CLEAN_ENV.items():
            command += ["--setenv", key, value]
        return command


@dataclass(frozen=True)
class _Job:
    build: Build
    invocation: Invocation
    stdins: list[str]
    limits: Limits
    language: Language
    dirs: list[str] | None


def _serve(
    ready: Ready, invocation: Invocation, files: TestFiles, limits: Limits, memory: int
) -> list[Outcome]:
    """Cap the ready sandbox's cgroup for this job, then hand the job over."""
    if ready.box is not None:
        try:
            ready.box.limit(memory, invocation.pids)
        except SandboxError as e:
            raise NotReady(str(e)) from e
    outcomes = serve_and_wait(ready.proc, ready.control, invocation, files, limits)
    # Gone as it took the job (killed while it waited): no test reported, none timed out, no
    # out-of-memory kill. Nothing of the program ran to an end: run the job afresh.
    oom = ready.box is not None and ready.box.usage().oom_kills > 0
    if not oom and not any(o.reported or o.timed_out for o in outcomes):
        raise NotReady("the ready sandbox ended before it ran the job")
    return outcomes


def _require_own(root: Path) -> None:
    """The sandbox's root holds the runner every sandbox executes and every slot's build: under a
    shared directory (/tmp) someone else may have made it first, or left a link there. Only a real
    directory of this process's user, writable by nobody else, is trusted."""
    st = os.lstat(root)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise SandboxError(
            f"{root} is not a directory of uid {os.geteuid()} closed to others (uid {st.st_uid}, "
            f"mode {stat.filemode(st.st_mode)}): remove it, or set SANDBOX_ROOT to one"
        )


def _disk_used(directory: Path) -> int:
    """Bytes of disk the files under `directory` take (allocated blocks: a sparse file is cheap)."""
    used = 0
    for folder, _, files in os.walk(directory):
        for name in files:
            with contextlib.suppress(OSError):
                used += os.lstat(os.path.join(folder, name)).st_blocks * 512
    return used


def _empty(directory: Path, keep: str | None = None) -> None:
    for entry in directory.iterdir():
        if entry.name == keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _cgroup_bytes(limits: Limits, language: Language) -> int:
    """The sandbox's memory: the run's limit and what its runtime needs beyond the heap it is given
    (the JVM's metaspace and code, V8's young generation), tmpfs files and shared memory included."""
    return (limits.memory_mb + language.cgroup_extra_mb) * 1024 * 1024


def _runner_limits(limits: Limits, language: Language, compiling: bool, ready: bool) -> RunnerLimits:
    """The per-test limits the runner applies to each run."""
    address_space = limits.memory_mb * 1024 * 1024 if language.limit_address_space else 0
    # The runner and bwrap count against the process limit too (RLIMIT_NPROC counts the uid's
    # processes host-wide: a ready sandbox of the same slot, another 3).
    processes = (
        limits.processes + language.extra_processes + (64 if compiling else 0) + 3 + (3 if ready else 0)
    )
    # Output goes to files too: the cap must let it pass the output limit to be measured.
    file_bytes = max(limits.file_bytes, limits.output_bytes + 1)
    return RunnerLimits(
        limits.time_ms + limits.extra_ms,
        limits.wall_clock_ms,
        address_space,
        processes,
        file_bytes,
        limits.stack_bytes,
        limits.disk_bytes,
    )


def _write_check_files(box: Path, cases: list[CheckInput]) -> list[str]:
    dirs = []
    for i, case in enumerate(cases):
        folder = box / f"t{i}"
        folder.mkdir(mode=0o755)
        for name, text in zip(CHECK_ARGS, case, strict=True):
            (folder / name).write_text(text)
        dirs.append(folder.name)
    return dirs

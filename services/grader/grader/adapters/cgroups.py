"""Memory, process and CPU bounds from the kernel's control groups: one cgroup per sandbox, made
before it starts and removed after, so that everything the program can hide memory in (anonymous
memory, tmpfs and shared memory, page cache of its files, kernel memory) is charged to it, capped
without swap, and an out-of-memory kill is seen in its own counters; and so that the CPU time of
every process of the sandbox, reaped or not, is counted (the runner reads the counter per test and
kills at the limit) and its rate capped at `CPUS` cores, whatever it forks.

Two hierarchies: cgroup v2 (production pods: a delegated, writable /sys/fs/cgroup in a cgroup
namespace of their own) and cgroup v1 (memory, pids, cpu and cpuacct controllers mounted apart, as
on this project's CI machine). docs/sandbox.md says what a pod needs.
"""

import contextlib
import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from grader.domain.errors import SandboxError

Mode = Literal["v2", "v1", "none"]
CgroupWanted = Literal["auto", "v2", "v1", "none"]
ROOT = Path("/sys/fs/cgroup")
OWN = Path("/proc/self/cgroup")
GROUP = "gradeflow-sandboxes"
V1_CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")
CPUS = 1  # cores a sandbox may use at once: a program forking workers cannot starve its neighbours
PERIOD_US = 100_000
_counter = itertools.count()


@dataclass(frozen=True)
class Usage:
    peak_bytes: int
    oom_kills: int


@dataclass(frozen=True)
class Box:
    """One sandbox's cgroup(s): the directories its process joins (v1: memory, pids, then cpu and
    cpuacct where they are mounted apart)."""

    dirs: tuple[Path, ...]
    mode: Mode
    cpu: Path | None = None  # where cpu.max / cpu.cfs_quota_us is written
    counter: Path | None = None  # the CPU time of every process in it (cpu.stat / cpuacct.usage)

    def procs_files(self) -> list[Path]:
        """What the sandbox's first process writes its pid to, to join (runner/launcher.c)."""
        return [d / "cgroup.procs" for d in self.dirs]

    def cpu_counter(self) -> Path | None:
        """The file the runner reads the sandbox's CPU time from, through a descriptor."""
        return self.counter

    def usage(self) -> Usage:
        memory = self.dirs[0]
        if not memory.exists():
            return Usage(0, 0)  # removed under us: nothing to tell
        if self.mode == "v2":
            events = _keyed(memory / "memory.events")
            peak = memory / "memory.peak"
            peak_bytes = int(peak.read_text()) if peak.exists() else 0
            return Usage(peak_bytes, events.get("oom_kill", 0))
        control = _keyed(memory / "memory.oom_control")
        return Usage(int((memory / "memory.max_usage_in_bytes").read_text()), control.get("oom_kill", 0))

    def limit(self, memory_bytes: int, processes: int) -> None:
        """Cap memory at `memory_bytes` (no swap) and processes at `processes`: before the job runs
        (a sandbox started ahead runs uncapped until then: only the runner is in it)."""
        try:
            if self.mode == "v2":
                _set(self.dirs[0], "memory.max", memory_bytes)
                _set(self.dirs[0], "memory.swap.max", 0, optional=True)
                _set(self.dirs[0], "pids.max", processes)
                if self.cpu is not None:
                    (self.cpu / "cpu.max").write_text(f"{CPUS * PERIOD_US} {PERIOD_US}")
            else:
                memory, pids = self.dirs[:2]
                _set(memory, "memory.limit_in_bytes", memory_bytes)
                _set(memory, "memory.memsw.limit_in_bytes", memory_bytes, optional=True)
                _set(memory, "memory.swappiness", 0, optional=True)
                _set(pids, "pids.max", processes)
                if self.cpu is not None:
                    _set(self.cpu, "cpu.cfs_period_us", PERIOD_US)
                    _set(self.cpu, "cpu.cfs_quota_us", CPUS * PERIOD_US)
        except OSError as e:
            raise SandboxError(f"cannot cap the sandbox's cgroup: {e}") from e

    def remove(self) -> None:
        """Once its processes are gone (those of a killed namespace die a moment after it)."""
        deadline = time.monotonic() + 2.0
        for d in self.dirs:
            while True:
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break  # left for the next start's sweep
                    time.sleep(0.002)


class Cgroups:
    """Makes a cgroup per sandbox under the grader's own, in whichever hierarchy this host has."""

    def __init__(self, mode: Mode, parents: tuple[Path, ...]) -> None:
        """`parents`: v2, the sandboxes' parent; v1, one per controller of V1_CONTROLLERS (the same
        directory twice where two are mounted together)."""
        self.mode = mode
        self._parents = parents

    def describe(self) -> str:
        return {
            "v2": "cgroup v2 (memory, pids, cpu)",
            "v1": "cgroup v1 (memory, pids, cpu, cpuacct)",
            "none": "no cgroup: rlimits and time only (weaker)",
        }[self.mode]

    def box(self, memory_bytes: int | None = None, processes: int = 0) -> Box | None:
        """A fresh cgroup, capped at `memory_bytes` (no swap) and `processes` unless None (to be
        capped by `Box.limit` later); None without cgroups."""
        if self.mode == "none":
            return None
        name = f"box-{os.getpid()}-{next(_counter)}"
        if self.mode == "v2":
            own = self._parents[0] / name
            box = Box((own,), self.mode, own, own / "cpu.stat")
        else:
            memory, pids, cpu, cpuacct = (parent / name for parent in self._parents)
            dirs = tuple(dict.fromkeys((memory, pids, cpu, cpuacct)))  # once each, in order
            box = Box(dirs, self.mode, cpu, cpuacct / "cpuacct.usage")
        try:
            for d in box.dirs:
                d.mkdir()
            if memory_bytes is not None:
                box.limit(memory_bytes, processes)
        except (OSError, SandboxError) as e:
            box.remove()
            raise SandboxError(f"cannot make the sandbox's cgroup: {e}") from e
        return box


def detect(wanted: CgroupWanted = "auto", root: Path = ROOT, own: Path = OWN) -> Cgroups:
    """The best hierarchy this process can use; `wanted` forces one (and fails if unusable).
    `root` and `own` (the process's cgroup file) are the kernel's, but for tests."""
    memberships = own.read_text().splitlines()
    for mode in ("v2", "v1") if wanted == "auto" else (wanted,):
        if mode == "none":
            return Cgroups("none", ())
        try:
            parents = _prepare_v2(root, memberships) if mode == "v2" else _prepare_v1(root, memberships)
        except OSError as e:
            if wanted != "auto":
                raise SandboxError(f"cgroup {mode} is not usable here: {e}") from e
            continue
        if parents is not None:
            for stale in (box for parent in dict.fromkeys(parents) for box in parent.glob("box-*")):
                if not Path(f"/proc/{stale.name.split('-')[1]}").exists():
                    Box((stale,), mode).remove()  # left by a grader that was killed
            return Cgroups(mode, parents)
        if wanted != "auto":
            raise SandboxError(f"cgroup {mode} is not usable here")
    return Cgroups("none", ())


def _prepare_v2(root: Path, memberships: list[str]) -> tuple[Path, ...] | None:
    """Under the process's own v2 cgroup: a leaf for the grader's processes (a cgroup with
    children may hold none) and a parent of the sandboxes with memory, pids and cpu enabled."""
    own = _own_v2_path(root, memberships)
    if own is None or not {"memory", "pids", "cpu"} <= set((own / "cgroup.controllers").read_text().split()):
        return None
    group = own / GROUP
    if not group.exists():
        service = own / "grader"
        service.mkdir(exist_ok=True)
        for pid in (own / "cgroup.procs").read_text().split():
            with contextlib.suppress(OSError):  # a process may have ended meanwhile
                (service / "cgroup.procs").write_text(pid)
        (own / "cgroup.subtree_control").write_text("+memory +pids +cpu")
        group.mkdir()
    (group / "cgroup.subtree_control").write_text("+memory +pids +cpu")
    return (group,)


def _own_v2_path(root: Path, memberships: list[str]) -> Path | None:
    if not (root / "cgroup.controllers").exists():
        return None  # the v2 hierarchy is not mounted at the root (a v1 or hybrid host)
    for line in memberships:
        if line.startswith("0::"):
            return root / line[3:].lstrip("/")
    return None


def _prepare_v1(root: Path, memberships: list[str]) -> tuple[Path, ...] | None:
    """Under the process's own cgroup of each controller, a parent of the sandboxes in each."""
    own = {}
    for line in memberships:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            own[controller] = path.lstrip("/")
    parents = []
    for controller in V1_CONTROLLERS:
        hierarchy = root / controller
        if controller not in own or not (hierarchy / "cgroup.procs").exists():
            return None
        group = (hierarchy / own[controller] / GROUP).resolve()  # co-mounted: one directory
        group.mkdir(exist_ok=True)
        if not os.access(group, os.W_OK):
            return None
        parents.append(group)
    return tuple(parents)


def _set(directory: Path, name: str, value: int, optional: bool = False) -> None:
    path = directory / name
    if optional and not path.exists():
        return
    path.write_text(str(value))


def _keyed(path: Path) -> dict[str, int]:
    """A cgroup file of `key value` lines."""
    values = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(" ")
        with contextlib.suppress(ValueError):
            values[key] = int(value)
    return values

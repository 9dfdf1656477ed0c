"""What the grader's own container may use: its CPU and memory limits, read from the cgroup it runs
in (v2, or v1's cpu and memory controllers), so that CONCURRENCY and the memory check follow the
pod's limits rather than the node's size."""

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
NO_LIMIT = 1 << 62  # v1 writes "unlimited" as a page-rounded 2^63 - 1


def _own_paths(proc_cgroup: str) -> dict[str, str]:
    """Controller (or "" for v2) → this process's cgroup path, from /proc/self/cgroup."""
    paths = {}
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _cgroup_file(root: Path, controller: str, name: str, paths: dict[str, str]) -> Path | None:
    """The controller's file for this process: v2's when the unified hierarchy holds the
    controller, else v1's."""
    if (root / "cgroup.controllers").exists():
        return root / paths.get("", "/").lstrip("/") / name
    if controller in paths:
        return root / controller / paths[controller].lstrip("/") / name
    return None


def cpu_limit(root: Path = CGROUP_ROOT, proc_cgroup: str | None = None) -> float | None:
    """Cores the container may use (its CFS quota over its period), or None if unlimited."""
    paths = _own_paths(proc_cgroup if proc_cgroup is not None else Path("/proc/self/cgroup").read_text())
    v2 = _cgroup_file(root, "cpu", "cpu.max", paths)
    text = _read(v2) if v2 is not None else None
    if text is not None and " " in text:
        quota, period = text.split()
        return None if quota == "max" else int(quota) / int(period)
    v1 = _cgroup_file(root, "cpu", "cpu.cfs_quota_us", paths)
    quota_text = _read(v1) if v1 is not None else None
    period_text = _read(v1.with_name("cpu.cfs_period_us")) if v1 is not None else None
    if quota_text is None or period_text is None or int(quota_text) <= 0:
        return None
    return int(quota_text) / int(period_text)


def memory_limit_bytes(root: Path = CGROUP_ROOT, proc_cgroup: str | None = None) -> int | None:
    """Bytes the container may hold, or None if unlimited."""
    paths = _own_paths(proc_cgroup if proc_cgroup is not None else Path("/proc/self/cgroup").read_text())
    for name in ("memory.max", "memory.limit_in_bytes"):
        file = _cgroup_file(root, "memory", name, paths)
        text = _read(file) if file is not None else None
        if text is not None:
            return None if text == "max" or int(text) >= NO_LIMIT else int(text)
    return None


def default_concurrency() -> int:
    """Sandbox slots this container can keep busy without throttling: each sandbox may use one
    core, so the whole cores of its CPU limit (at least one), or the CPUs it may run on."""
    cores = len(os.sched_getaffinity(0))
    limit = cpu_limit()
    return max(1, min(cores, math.floor(limit)) if limit is not None else cores)

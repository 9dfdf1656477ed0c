"""The cgroup adapter on a cgroup file system laid out in a temporary directory: which hierarchy
it picks, where it makes a sandbox's cgroup, what limits it writes, what it reads back."""

from pathlib import Path

import pytest

from grader.adapters.cgroups import detect
from grader.domain.errors import SandboxError


def _files(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _own(tmp_path: Path, text: str) -> Path:
    own = tmp_path / "self-cgroup"
    own.write_text(text)
    return own


def test_v2_moves_the_grader_to_a_leaf_and_caps_each_sandbox_without_swap(tmp_path: Path) -> None:
    root = tmp_path / "fs"
    _files(
        root,
        {
            "cgroup.controllers": "cpu memory pids",
            "pod/cgroup.controllers": "cpu memory pids",
            "pod/cgroup.procs": "7\n9\n",
            "pod/cgroup.subtree_control": "",
        },
    )
    cgroups = detect("auto", root, _own(tmp_path, "0::/pod\n"))
    assert cgroups.mode == "v2"
    assert (root / "pod/grader/cgroup.procs").read_text() == "9", "the grader's processes leave the parent"
    assert (root / "pod/cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    box = cgroups.box(64 << 20, 19)
    assert box is not None
    [d] = box.dirs
    # A real cgroupfs makes these files; here the adapter writes them.
    assert (d / "memory.max").read_text() == str(64 << 20) and (d / "pids.max").read_text() == "19"
    assert (d / "cpu.max").read_text() == "100000 100000", "one core at most"
    assert box.cpu_counter() == d / "cpu.stat"
    _files(d, {"memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n", "memory.peak": "67000000"})
    usage = box.usage()
    assert (usage.oom_kills, usage.peak_bytes) == (1, 67_000_000)


def test_v1_uses_the_memory_pids_cpu_and_cpuacct_hierarchies_of_the_process(tmp_path: Path) -> None:
    root = tmp_path / "fs"
    _files(
        root,
        {
            "memory/cgroup.procs": "",
            "memory/jobs/a/cgroup.procs": "",
            "pids/cgroup.procs": "",
            "cpu/cgroup.procs": "",
            "cpuacct/cgroup.procs": "",
        },
    )
    own = "4:memory:/jobs/a\n8:pids:/\n2:cpuacct:/\n1:cpu:/\n0::/\n"
    cgroups = detect("auto", root, _own(tmp_path, own))
    assert cgroups.mode == "v1"
    box = cgroups.box(100 << 20, 5)
    assert box is not None
    memory, pids, cpu, cpuacct = box.dirs
    assert (
        cpu / "cpu.cfs_quota_us"
    ).read_text() == "100000" and cpu.parent == root / "cpu/gradeflow-sandboxes"
    assert box.cpu_counter() == cpuacct / "cpuacct.usage"
    assert (
        memory.parent == root / "memory/jobs/a/gradeflow-sandboxes"
        and pids.parent == root / "pids/gradeflow-sandboxes"
    )
    assert (memory / "memory.limit_in_bytes").read_text() == str(100 << 20) and (
        pids / "pids.max"
    ).read_text() == "5"
    _files(
        memory,
        {
            "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
            "memory.max_usage_in_bytes": "5",
        },
    )
    assert box.usage().oom_kills == 2


def test_v1_with_cpu_and_cpuacct_mounted_together_joins_that_directory_once(tmp_path: Path) -> None:
    root = tmp_path / "fs"
    _files(root, {"memory/cgroup.procs": "", "pids/cgroup.procs": "", "cpu,cpuacct/cgroup.procs": ""})
    for name in ("cpu", "cpuacct"):
        (root / name).symlink_to(root / "cpu,cpuacct")
    cgroups = detect("auto", root, _own(tmp_path, "4:memory:/\n8:pids:/\n2:cpu,cpuacct:/\n0::/\n"))
    box = cgroups.box(1 << 20, 5)
    assert box is not None
    assert len(box.dirs) == 3 and box.dirs[2].parent == (root / "cpu,cpuacct/gradeflow-sandboxes").resolve()
    assert box.cpu_counter() == box.dirs[2] / "cpuacct.usage"


def test_without_cgroups_it_says_so_and_a_forced_mode_fails(tmp_path: Path) -> None:
    own = _own(tmp_path, "0::/\n")
    cgroups = detect("auto", tmp_path / "empty", own)
    assert cgroups.mode == "none" and cgroups.box(1 << 20, 1) is None
    assert "weaker" in cgroups.describe()
    with pytest.raises(SandboxError, match="v2"):
        detect("v2", tmp_path / "empty", own)

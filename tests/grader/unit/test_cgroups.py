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
            "pod/cgroup.controllers": "memory pids",
            "pod/cgroup.procs": "7\n9\n",
            "pod/cgroup.subtree_control": "",
        },
    )
    cgroups = detect("auto", root, _own(tmp_path, "0::/pod\n"))
    assert cgroups.mode == "v2"
    assert (root / "pod/grader/cgroup.procs").read_text() == "9", "the grader's processes leave the parent"
    assert (root / "pod/cgroup.subtree_control").read_text() == "+memory +pids"
    box = cgroups.box(64 << 20, 19)
    assert box is not None
    [d] = box.dirs
    # A real cgroupfs makes these files; here the adapter writes them.
    assert (d / "memory.max").read_text() == str(64 << 20) and (d / "pids.max").read_text() == "19"
    _files(d, {"memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n", "memory.peak": "67000000"})
    usage = box.usage()
    assert (usage.oom_kills, usage.peak_bytes) == (1, 67_000_000)


def test_v1_uses_the_memory_and_pids_hierarchies_of_the_process(tmp_path: Path) -> None:
    root = tmp_path / "fs"
    _files(root, {"memory/cgroup.procs": "", "memory/jobs/a/cgroup.procs": "", "pids/cgroup.procs": ""})
    cgroups = detect("auto", root, _own(tmp_path, "4:memory:/jobs/a\n8:pids:/\n0::/\n"))
    assert cgroups.mode == "v1"
    box = cgroups.box(100 << 20, 5)
    assert box is not None
    memory, pids = box.dirs
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


def test_without_cgroups_it_says_so_and_a_forced_mode_fails(tmp_path: Path) -> None:
    own = _own(tmp_path, "0::/\n")
    cgroups = detect("auto", tmp_path / "empty", own)
    assert cgroups.mode == "none" and cgroups.box(1 << 20, 1) is None
    assert "weaker" in cgroups.describe()
    with pytest.raises(SandboxError, match="v2"):
        detect("v2", tmp_path / "empty", own)

"""A grader started as its pod would be (`python -m grader serve`, its CONCURRENCY, its memory,
the real broker and database) checks its sandbox before it consumes: where a program cannot run
(bwrap refused, as on a node whose seccomp or AppArmor profile forbids namespaces) or the memory
cannot hold its slots, it exits before any consumer is on the queues, and says why."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import aio_pika
import aio_pika.exceptions
import pyseccomp
import pytest

from gradeflow_shared.topology import GRADER_SUBMISSIONS
from gradeflow_tools.stack import StackConfig
from grader.adapters.resources import memory_limit_bytes
from grader.adapters.seccomp import container_profile
from tests.support.infra import ROOT, Infra, provisioned_infra

pytestmark = pytest.mark.integration
REFUSAL = "bwrap: No permissions to create new namespace"
V1_MEMORY = Path("/sys/fs/cgroup/memory")


@pytest.fixture
def refusing_bwrap() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="gradeflow-refusing-bwrap-"))
    folder.chmod(0o755)
    fake = folder / "bwrap"
    fake.write_text(f"#!/bin/sh\necho '{REFUSAL}' >&2\nexit 1\n")
    fake.chmod(0o755)
    yield str(fake)
    shutil.rmtree(folder)


def _serve(config: StackConfig, env: dict[str, str], prefix: list[str] | None = None) -> tuple[int, str]:
    """Run the grader until it exits (it must, within a minute); its exit code and its log."""
    done = subprocess.run(
        [*(prefix or []), sys.executable, "-m", "grader", "serve"],
        env={**config.env("grader"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


async def _declared(infra: Infra, queue: str) -> bool:
    """Whether the queue exists in the vhost: a grader declares its queues as it starts consuming."""
    connection = await aio_pika.connect(infra.amqp_url)
    async with connection:
        channel = await connection.channel()
        try:
            await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return False
        return True


@pytest.fixture
def fresh_infra() -> Iterator[Infra]:
    """A vhost and database of the test's own: nobody has declared anything in it yet, and the
    grader started here consumes no other test's messages (nor reports their waits)."""
    with provisioned_infra("gradeflow_selftest") as infra:
        yield infra


async def test_a_grader_whose_sandbox_cannot_run_refuses_to_consume(
    fresh_infra: Infra, refusing_bwrap: str
) -> None:
    infra = fresh_infra
    config = infra.stack_config(ports={"grader": 18_932})
    code, log = await asyncio.to_thread(_serve, config, {"SANDBOX_BWRAP": refusing_bwrap, "CONCURRENCY": "1"})
    assert code != 0
    assert "SelfTestFailed: the sandbox could not run a program" in log, log[-3000:]
    assert REFUSAL in log, log[-3000:]
    assert not await _declared(infra, GRADER_SUBMISSIONS.queue), "it never began to consume"


@pytest.mark.skipif(not V1_MEMORY.is_dir() or os.geteuid() != 0, reason="needs root and cgroup v1 memory")
async def test_a_grader_whose_memory_cannot_hold_its_slots_refuses_to_consume(fresh_infra: Infra) -> None:
    """As in a pod of 2 GiB asked to run two slots (2 x 1,280 MiB at the largest limits)."""
    infra = fresh_infra
    group = V1_MEMORY / f"gradeflow-selftest-{uuid.uuid4().hex[:8]}"
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(2 << 30))
        config = infra.stack_config(ports={"grader": 18_933})
        enter = ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "--"]
        code, log = await asyncio.to_thread(_serve, config, {"CONCURRENCY": "2"}, enter)
        assert code != 0
        assert "CONCURRENCY=2 needs 2880 MiB" in log and "the container has 2048 MiB" in log, log[-3000:]
        assert not await _declared(infra, GRADER_SUBMISSIONS.queue), "it never began to consume"
    finally:
        for child in sorted((d for d in group.rglob("*") if d.is_dir()), reverse=True):
            child.rmdir()
        group.rmdir()


def test_the_memory_limit_is_read_from_the_process_cgroup(tmp_path: Path) -> None:
    (tmp_path / "memory" / "pod").mkdir(parents=True)
    (tmp_path / "memory" / "pod" / "memory.limit_in_bytes").write_text(str(3 << 30))
    assert memory_limit_bytes(tmp_path, "4:memory:/pod\n0::/\n") == 3 << 30
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids")
    (tmp_path / "memory.max").write_text("max")
    assert memory_limit_bytes(tmp_path, "0::/\n") is None


PROFILE = ROOT / "deploy" / "k8s" / "node" / "gradeflow-grader.json"


def test_the_node_seccomp_profile_is_the_one_the_code_describes() -> None:
    assert json.loads(PROFILE.read_text()) == container_profile(), (
        "regenerate: uv run python -m grader.adapters.seccomp > deploy/k8s/node/gradeflow-grader.json"
    )


def _under_profile() -> None:
    """In the child before it becomes the grader: the container's seccomp profile, as the node's
    runtime would load it (default EPERM)."""
    profile = json.loads(PROFILE.read_text())
    rules = pyseccomp.SyscallFilter(defaction=pyseccomp.ERRNO(profile["defaultErrnoRet"]))
    for group in profile["syscalls"]:
        allow = group["action"] == "SCMP_ACT_ALLOW"
        action = pyseccomp.ALLOW if allow else pyseccomp.ERRNO(group["errnoRet"])
        for name in group["names"]:
            rules.add_rule(action, name)
    rules.load()


SANDBOX_UNDER_PROFILE = """
import asyncio, sys
from pathlib import Path
from grader.adapters.sandbox import BwrapSandbox
from grader.usecases.self_test import self_test

async def main():
    sandbox = BwrapSandbox(Path(sys.argv[1]), int(sys.argv[2]), 1)
    await sandbox.start()
    try:
        result = await self_test(sandbox)
    finally:
        await sandbox.close()
    print("self-test passed:", result.echo.stdout.strip(), result.hog.memory_exceeded)

asyncio.run(main())
"""


def test_the_sandbox_runs_and_bounds_a_program_under_the_node_seccomp_profile(infra: Infra) -> None:
    """The grader's sandbox, started and self-tested in a process holding only the profile's calls
    (as the node's runtime loads it): a program runs, and its memory is bounded."""
    env = infra.sandbox_env
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SANDBOX_UNDER_PROFILE,
            env["SANDBOX_ROOT"] + "-profile",
            env["SANDBOX_UID_BASE"],
        ],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_under_profile,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "self-test passed: gradeflow-self-test True" in done.stdout

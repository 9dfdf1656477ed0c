"""What the real-sandbox tests share: the processes a run may have left behind."""

import asyncio
import contextlib
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from grader.adapters.sandbox import BwrapSandbox


async def leftovers(sandbox: BwrapSandbox, uids: Iterable[int] | None = None) -> list[str]:
    """Processes of the sandbox's uids (or `uids`) still running, but for the sandboxes it started
    ahead that wait for their job (bubblewrap and the runner under it): nothing a run started."""
    waiting = await sandbox.ready_pids()
    wanted = ",".join(str(u) for u in (uids if uids is not None else sandbox._uid_range))
    return await asyncio.to_thread(_processes_but, wanted, waiting)


def _processes_but(uids: str, waiting: set[int]) -> list[str]:
    result = subprocess.run(["ps", "-o", "pid=,ppid=,args=", "-u", uids], capture_output=True, text=True)
    rows = [line.split(None, 2) for line in result.stdout.splitlines() if line.strip()]
    parent = {int(pid): int(ppid) for pid, ppid, *_ in rows}

    def waiting_for_a_job(pid: int) -> bool:
        while pid in parent and pid not in waiting:
            pid = parent[pid]
        return pid in waiting

    return [" ".join(row) for row in rows if not waiting_for_a_job(int(row[0]))]


@contextlib.asynccontextmanager
async def started_sandbox(name: str, uid_base: int, slots: int = 1) -> AsyncIterator[BwrapSandbox]:
    """A real sandbox of its own (root under the temporary directory, uid range) for one module."""
    sandbox = BwrapSandbox(Path(tempfile.gettempdir()) / name, uid_base, slots=slots)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.close()

"""Sandboxes started ahead of their job, one per slot (go-judge keeps pre-built sandboxes too):
building the namespaces and the cgroup (about 10 ms) happens while the slot is idle, so a run pays
only for handing its job over. Each still serves a single job, in namespaces nothing ran in before;
the slot's next one is started once the slot has been idle a moment (`ReadySandboxes`).

A ready sandbox is started for what most runs of its slot need (the slot's box read-only at /box,
tmpfs of the last run's disk limit); a run that needs another (a compile, a checker, another disk
limit) starts one afresh, as without the pool.
"""

import asyncio
import contextlib
import logging
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from socket import socket
from typing import Generic, Protocol, TypeVar

from grader.adapters.cgroups import Box
from grader.adapters.sandbox_processes import stop

log = logging.getLogger(__name__)


class Waiting(Protocol):
    """What the pool needs of a sandbox waiting for its job."""

    @property
    def disk_bytes(self) -> int: ...

    @property
    def pid(self) -> int: ...

    def alive(self) -> bool: ...

    def dispose(self) -> None: ...


W = TypeVar("W", bound=Waiting)


@dataclass(frozen=True)
class Ready:
    """A sandbox whose runner waits for one job on `control`, in cgroup `box` (capped when the job
    comes), with tmpfs of `disk_bytes`."""

    proc: "subprocess.Popen[bytes]"
    control: socket
    box: Box | None
    disk_bytes: int

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.returncode is None and self.proc.poll() is None

    def dispose(self) -> None:
        stop(self.proc, self.control)
        if self.box is not None:
            self.box.remove()


class ReadySandboxes(Generic[W]):
    """At most one ready sandbox per slot (uid). `start(uid, disk_bytes)` builds one (blocking);
    it runs on a thread of the pool's own, which lives as long as the pool: bubblewrap's
    --die-with-parent is tied to the thread that started it.

    A slot's next sandbox is started once the slot has been idle for `delay` seconds: runs that
    follow each other at once (a busy slot) each start one afresh, as without the pool, because a
    sandbox being built beside a run slowed both (measured: back to back, 20 ms over bare against
    10 ms); a slot that pauses has one ready for its next run."""

    def __init__(self, start: Callable[[int, int], W], delay: float = 0.01) -> None:
        self._start = start
        self._delay = delay
        self._ready: dict[int, asyncio.Future[W]] = {}
        self._planned: dict[int, tuple[asyncio.TimerHandle, int]] = {}  # uid: (timer, disk_bytes)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="ready-sandboxes")
        self._closed = False

    def refill(self, uid: int, disk_bytes: int) -> None:
        """Start the slot's next sandbox once it has been idle a moment, unless it has one."""
        if self._closed or uid in self._ready or uid in self._planned:
            return
        timer = asyncio.get_running_loop().call_later(self._delay, self._start_now, uid, disk_bytes)
        self._planned[uid] = (timer, disk_bytes)

    def _start_now(self, uid: int, disk_bytes: int) -> None:
        timer, _ = self._planned.pop(uid)
        timer.cancel()  # (when called before its time, by `pids`)
        loop = asyncio.get_running_loop()
        self._ready[uid] = loop.run_in_executor(self._thread, self._start, uid, disk_bytes)

    async def take(self, uid: int, disk_bytes: int) -> W | None:
        """The slot's ready sandbox, if it has one for this disk limit; None: start one afresh
        (and the slot's next is not started while this run goes on). One still starting is left
        to start, for the slot's next run: waiting for it took longer than starting one afresh."""
        planned = self._planned.pop(uid, None)
        if planned is not None:
            planned[0].cancel()
        future = self._ready.get(uid)
        if future is None or not future.done():
            return None
        del self._ready[uid]
        try:
            ready = await future
        except Exception:
            log.exception("a ready sandbox did not start")
            return None
        if ready.disk_bytes == disk_bytes and ready.alive():
            return ready
        await asyncio.to_thread(ready.dispose)
        return None

    async def pids(self) -> set[int]:
        """The bubblewrap processes of the sandboxes waiting for a job (those planned are started
        now)."""
        for uid, (_, disk_bytes) in list(self._planned.items()):
            self._start_now(uid, disk_bytes)
        if self._ready:
            await asyncio.wait(list(self._ready.values()))
        return {f.result().pid for f in self._ready.values() if f.exception() is None}

    async def close(self) -> None:
        self._closed = True
        for timer, _ in self._planned.values():
            timer.cancel()
        self._planned = {}
        waiting, self._ready = list(self._ready.values()), {}
        for future in waiting:
            with contextlib.suppress(Exception):
                await asyncio.to_thread((await future).dispose)
        self._thread.shutdown(wait=False)
